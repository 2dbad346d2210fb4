import type { VariableSchema } from './types.ts';

/**
 * The variables every template may use without declaring them, as a tree: `true` is a leaf, an object
 * names its known children, `'any'` takes any path below (computed windows and scores are keyed by
 * settings). `customer.attributes` and `event` are open only through declared variables.
 */
type Known = true | 'any' | { [name: string]: Known };

const builtIn: { [root: string]: Known } = {
  customer: {
    id: true,
    externalId: true,
    email: true,
    emails: true,
    phone: true,
    phones: true,
    name: true,
    givenName: true,
    familyName: true,
    gender: true,
    birthday: { date: true, calendar: true, leapMonth: true },
    locale: true,
    timeZone: true,
    address: { country: true, province: true, city: true },
    tags: true,
    sourceChannel: true,
    owner: true,
    tier: true,
    lifecycleStage: true,
    createdAt: true,
    updatedAt: true,
    attributes: {},
  },
  computed: {
    currency: true,
    orders: true,
    revenue: true,
    averageOrderValue: true,
    purchaseDays: true,
    firstPurchaseDate: true,
    lastPurchaseDate: true,
    daysSinceLastPurchase: true,
    windows: 'any',
    scores: 'any',
    updatedAt: true,
  },
  links: { preferences: true, unsubscribe: true },
  event: {},
  /** The render's locale and time, for formatting. */
  locale: true,
  now: true,
};

/** Roots under which a template may declare its own variables. */
export const declarableRoots = ['event.', 'customer.attributes.'] as const;

export type Segment = string | number | Segment[];

/**
 * Why a path is not a known variable, or undefined when it is. A path stops at its first index or
 * dynamic segment (`event.items[0]`, `customer.attributes[key]`): what lies below is data, not schema.
 */
export function unknownVariable(segments: readonly Segment[], declared: VariableSchema): string | undefined {
  const names: string[] = [];
  for (const s of segments) {
    if (typeof s !== 'string') break;
    names.push(s);
  }
  const path = names.join('.');
  if (names.length === 0) return undefined;
  if (isDeclared(path, declared)) return undefined;
  let node: Known | undefined = builtIn[names[0] ?? ''];
  if (node === undefined)
    return `"${path}" is not a variable (known roots: ${Object.keys(builtIn).join(', ')})`;
  for (const name of names.slice(1)) {
    if (node === true || node === 'any') break;
    const next: Known | undefined = Object.hasOwn(node, name) ? node[name] : undefined;
    if (next === undefined) {
      const root = names[0] === 'event' || (names[0] === 'customer' && names[1] === 'attributes');
      return root ? `"${path}" is not declared in the template's variables` : `"${path}" is not a variable`;
    }
    node = next;
  }
  // A bare `event` or `customer.attributes` is allowed only when something below it is declared.
  if (typeof node === 'object' && Object.keys(node).length === 0 && !hasDeclaredBelow(path, declared)) {
    return `"${path}" is not declared in the template's variables`;
  }
  return undefined;
}

function isDeclared(path: string, declared: VariableSchema): boolean {
  for (const [name, spec] of Object.entries(declared)) {
    if (path === name) return true;
    // Objects and lists take any path below; a declared leaf makes its parents usable (e.g. in a for loop).
    if (path.startsWith(`${name}.`) && (spec.type === 'object' || spec.type === 'list')) return true;
    if (name.startsWith(`${path}.`)) return true;
  }
  return false;
}

function hasDeclaredBelow(path: string, declared: VariableSchema): boolean {
  return Object.keys(declared).some((name) => name.startsWith(`${path}.`));
}

/** The declared variable a value lives at, for required checks at render time. */
export function valueAt(data: unknown, path: string): unknown {
  let node: unknown = data;
  for (const name of path.split('.')) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, name)) return undefined;
    node = (node as Record<string, unknown>)[name];
  }
  return node;
}

export function declaredPathProblem(name: string): string | undefined {
  if (!declarableRoots.some((root) => name.startsWith(root))) {
    return `must start with ${declarableRoots.join(' or ')}`;
  }
  if (!/^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)+$/.test(name)) {
    return 'must be a dotted path of names (letters, digits, _ and -)';
  }
  return undefined;
}
