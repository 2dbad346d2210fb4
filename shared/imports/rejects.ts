import { stages } from '../../infra/stages.ts';
import { normalizePhone } from '../customers/normalize.ts';
import type { IdentityKind } from '../customers/service.ts';
import { config } from '../platform/config.ts';
import { store } from '../store/service.ts';

/**
 * Rejected rows: kept for the stage's retention (they hold personal data), each with pointer items from
 * the identities it mentions, so erasing a customer removes the rejects that name them.
 */
export interface RejectedRow {
  row: number;
  errors: { field: string; reason: string; value: string }[];
  /** What the row says about who it is, as raw as it came: normalized here. */
  mentions: Partial<Record<IdentityKind, unknown>>;
}

const MAX_VALUE = 1000;

function retentionSeconds(): number {
  const stage = config().STAGE as keyof typeof stages;
  return (stages[stage] ?? stages.local).importRejectRetentionDays * 86_400;
}

/** Identities as the customers API stores them, for values that can be read as one; others as given. */
export function normalizedIdentities(
  mentions: RejectedRow['mentions'],
): { kind: IdentityKind; value: string }[] {
  const out: { kind: IdentityKind; value: string }[] = [];
  for (const kind of ['externalId', 'email', 'phone'] as const) {
    const raw = mentions[kind];
    if (typeof raw !== 'string' || raw.trim() === '') continue;
    let value = raw.trim();
    if (kind === 'email') value = value.toLowerCase();
    if (kind === 'phone') {
      try {
        value = normalizePhone(value, config().DEFAULT_PHONE_REGION);
      } catch {
        // an unreadable phone is kept as written, which is what erasure would be asked for at worst
      }
    }
    out.push({ kind, value: value.slice(0, 254) });
  }
  return out;
}

/** Writes rejects and their pointers; keys are (job, row), so writing them again changes nothing. */
export async function writeRejects(jobId: string, rows: RejectedRow[]): Promise<void> {
  if (rows.length === 0) return;
  const expiresAt = Math.floor(Date.now() / 1000) + retentionSeconds();
  const s = store().entities;
  const rejects = rows.map((r) => {
    const ids = normalizedIdentities(r.mentions);
    return {
      item: {
        jobId,
        row: r.row,
        errors: r.errors.map((e) => ({ ...e, value: e.value.slice(0, MAX_VALUE) })),
        identities: ids.map(({ kind, value }) => `${kind}#${value}`),
        expiresAt,
      },
      refs: ids.map(({ kind, value }) => ({ kind, value, jobId, row: r.row, expiresAt })),
    };
  });
  await s.importReject.put(rejects.map((r) => r.item)).go({ concurrent: 4 });
  const refs = rejects.flatMap((r) => r.refs);
  if (refs.length > 0) await s.importRejectRef.put(refs).go({ concurrent: 4 });
}

/**
 * Deletes every rejected import row that mentions one of these identities (normalized as the customers
 * API stores them), and the pointers to them. For erasure; returns how many rejects went.
 */
export async function deleteRejectsMentioning(
  identities: { kind: IdentityKind; value: string }[],
): Promise<number> {
  const s = store().entities;
  let deleted = 0;
  for (const identity of identities) {
    const refs = await s.importRejectRef.query.byIdentity(identity).go({ pages: 'all' });
    if (refs.data.length === 0) continue;
    const keys = refs.data.map(({ jobId, row }) => ({ jobId, row }));
    // A reject names up to three identities: the pointers from the others go with it.
    const rejects = await s.importReject.get(keys).go({ concurrent: 4 });
    const pointers = new Map<string, { kind: IdentityKind; value: string; jobId: string; row: number }>();
    for (const { kind, value, jobId, row } of refs.data)
      pointers.set(`${kind}#${value}#${jobId}#${row}`, { kind, value, jobId, row });
    for (const reject of rejects.data) {
      for (const id of reject.identities ?? []) {
        const [kind, ...rest] = id.split('#');
        const value = rest.join('#');
        pointers.set(`${id}#${reject.jobId}#${reject.row}`, {
          kind: kind as IdentityKind,
          value,
          jobId: reject.jobId,
          row: reject.row,
        });
      }
    }
    await s.importReject.delete(keys).go({ concurrent: 4 });
    await s.importRejectRef.delete([...pointers.values()]).go({ concurrent: 4 });
    deleted += rejects.data.length;
  }
  return deleted;
}

function csvCell(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One page of a job's rejects as CSV lines (header included), in row order. */
export async function rejectsCsv(
  jobId: string,
  limit: number,
  cursor: string | undefined,
): Promise<{ csv: string; next?: string }> {
  const page = await store()
    .entities.importReject.query.byJob({ jobId })
    .go({ limit, ...(cursor && { cursor }) });
  const lines = ['row,field,reason,value'];
  for (const reject of page.data) {
    for (const e of reject.errors as RejectedRow['errors']) {
      lines.push([reject.row, e.field, e.reason, e.value].map(csvCell).join(','));
    }
  }
  return { csv: `${lines.join('\r\n')}\r\n`, ...(page.cursor && { next: page.cursor }) };
}
