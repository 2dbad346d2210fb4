import type { ConsentStatus } from '../store/entities/consent.ts';

/**
 * Everything a segment rule can look at for one customer. The store assembles it; a rule's
 * `dependencies` say which parts it reads (and how far back its events reach), so the store loads
 * only those. A part the rule does not read may be left out.
 */
export interface Subject {
  /** The customer id (ULID); the random bucket hashes it. */
  id: string;
  profile: SubjectProfile;
  /** Purchase figures (shared/scoring/profile.ts `ComputedView` without the scores). */
  computed?: SubjectComputed;
  /** The scores of the last rescoring run (`ComputedView.scores`). */
  scores?: SubjectScores;
  /**
   * The customer's consent records as stored, keyed `channel:topic` (`sms:*` for the whole channel,
   * `email:promotions` for a topic). Rules resolve them as the send gate does: a channel opt-out beats
   * everything, then the topic record, then the channel record, then the topic's default.
   */
  consents?: Readonly<Record<string, ConsentStatus>>;
  /**
   * The customer's events of the types the rule names, from `dependencies.eventsSince` on (all of them
   * when that is null), in any order. Orders are events of type `order`.
   */
  events?: readonly SubjectEvent[];
  /** Ids of the segments the customer is in now (static segments included). */
  segments?: ReadonlySet<string> | readonly string[];
  /** Where the customer is, for distance conditions (e.g. geocoded from the address, or last seen). */
  location?: { lat: number; lon: number };
}

export interface SubjectProfile {
  externalId?: string;
  email?: string;
  emails?: readonly string[];
  phone?: string;
  phones?: readonly string[];
  name?: string;
  givenName?: string;
  familyName?: string;
  gender?: string;
  birthday?: { date: string; calendar: 'gregorian' | 'lunar'; leapMonth?: boolean };
  locale?: string;
  /** IANA zone; relative days and anniversaries are counted in it (else the stage default). */
  timeZone?: string;
  address?: { country?: string; province?: string; city?: string };
  tags?: readonly string[];
  sourceChannel?: string;
  owner?: string;
  attributes?: Readonly<Record<string, string | number | boolean | readonly string[]>>;
  createdAt?: string;
  updatedAt?: string;
}

export interface SubjectComputed {
  currency?: string;
  orders?: number;
  revenue?: number;
  averageOrderValue?: number;
  purchaseDays?: number;
  /** YYYY-MM-DD (UTC day of the purchase, as the aggregate keeps it). */
  firstPurchaseDate?: string | null;
  lastPurchaseDate?: string | null;
}

export interface SubjectScores {
  rfm?: { recency?: number; frequency?: number; monetary?: number; fm?: number; group?: string };
  abc?: string;
  valueTier?: string;
  lifecycle?: { stage?: string };
  clv?: {
    historical?: number;
    contributionShare?: number;
    predicted?: number;
    decile?: number;
    probabilityAlive?: number | null;
  };
  churn?: { score?: number; flagged?: boolean };
}

export interface SubjectEvent {
  type: string;
  /** When it happened, epoch milliseconds. */
  at: number;
  /**
   * The event's properties, with its top-level fields alongside (`amount`, `currency`, `channel`,
   * `orderId` for orders), so a rule filters or sums them by name.
   */
  properties?: Readonly<Record<string, unknown>>;
}
