import type { PropertyFilter, Rule, ValueTest } from '../../shared/segments/rule.ts';
import { scoreFields, tierFields, valueOperators } from '../../shared/segments/rule.ts';

/**
 * A small rule -> SQL translator for the benchmark, covering the kinds its segments use, over the
 * tables that bench/segment-evaluator.ts loads: `customers` (one row per customer, a column per field)
 * and `events` (cid, type, at in epoch ms, amount, channel). Every customer of the benchmark lives in
 * one zone, so "today" and window edges are constants worked out here, as the evaluator works them out.
 * Each leaf is wrapped in coalesce(..., false) so that SQL's NULLs behave as the evaluator's "no".
 */

type Kind = 'text' | 'number' | 'bool' | 'date' | 'instant' | 'list';
const COLUMNS: Record<string, [string, Kind]> = {
  gender: ['gender', 'text'],
  owner: ['owner', 'text'],
  'address.country': ['country', 'text'],
  'address.province': ['province', 'text'],
  'address.city': ['city', 'text'],
  createdAt: ['created_ms', 'instant'],
  tags: ['tags', 'list'],
  'computed.orders': ['orders', 'number'],
  'computed.revenue': ['revenue', 'number'],
  'computed.lastPurchaseDate': ['last_purchase', 'date'],
  'scores.abc': ['abc', 'text'],
  'scores.valueTier': ['value_tier', 'text'],
  'scores.lifecycle.stage': ['lifecycle', 'text'],
  'scores.rfm.recency': ['rfm_r', 'number'],
  'scores.rfm.frequency': ['rfm_f', 'number'],
  'scores.rfm.monetary': ['rfm_m', 'number'],
  'scores.churn.score': ['churn', 'number'],
  'scores.churn.flagged': ['churn_flagged', 'bool'],
  'scores.clv.predicted': ['clv', 'number'],
  'scores.clv.decile': ['clv_decile', 'number'],
  'attributes.memberLevel': ['member_level', 'number'],
  'attributes.favoriteCategory': ['favorite_category', 'text'],
};
const EVENT_COLUMNS: Record<string, string> = { amount: 'amount', channel: 'channel' };
const CONSENT_COLUMNS: Record<string, string> = {
  'sms:*': 'c_sms',
  'email:*': 'c_email',
  'email:promotions': 'c_email_promotions',
};

const lit = (v: unknown): string => {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return `'${String(v).replaceAll("'", "''")}'`;
};
const DAY = 86_400_000;
const dateDay = (s: string) => Date.parse(`${s}T00:00:00Z`) / DAY;

export interface SqlContext {
  now: number;
  /** Topic defaults, as the evaluator's options carry them. */
  topicDefaults: Record<string, string>;
  /** The zone's fixed offset in ms (the benchmark's zone has no daylight saving). */
  offsetMs: number;
}

export function toSql(rule: Rule, ctx: SqlContext): string {
  const today = Math.floor((ctx.now + ctx.offsetMs) / DAY);
  const dayStart = (day: number) => day * DAY - ctx.offsetMs;
  const dayOf = (expr: string, kind: Kind) =>
    kind === 'date' ? `(${expr} - DATE '1970-01-01')` : `floor((${expr} + ${ctx.offsetMs}) / ${DAY})`;
  const leaf = (sql: string) => `coalesce((${sql}), false)`;

  function test(expr: string, kind: Kind, t: ValueTest): string {
    const op = valueOperators.find((o) => t[o] !== undefined);
    const v = op === undefined ? undefined : t[op];
    const ordered = (sym: string) =>
      typeof v === 'number' ? `${expr} ${sym} ${v}` : `${dayOf(expr, kind)} ${sym} ${dateDay(v as string)}`;
    switch (op) {
      case 'equals':
        return kind === 'list' ? `list_contains(${expr}, ${lit(v)})` : `${expr} = ${lit(v)}`;
      case 'in':
        return `${expr} IN (${(v as unknown[]).map(lit).join(', ')})`;
      case 'gt':
        return ordered('>');
      case 'gte':
        return ordered('>=');
      case 'lt':
        return ordered('<');
      case 'lte':
        return ordered('<=');
      case 'between': {
        const [lo, hi] = v as [number, number];
        return `${expr} BETWEEN ${lo} AND ${hi}`;
      }
      case 'exists':
        return v ? `${expr} IS NOT NULL` : `${expr} IS NULL`;
      case 'withinLastDays':
        return `${dayOf(expr, kind)} > ${today - (v as number)} AND ${dayOf(expr, kind)} <= ${today}`;
      case 'moreThanDaysAgo':
        return `${dayOf(expr, kind)} < ${today - (v as number)}`;
      default:
        throw new Error(`the benchmark's SQL translator does not cover ${op}`);
    }
  }

  function events(
    type: string,
    days: number | undefined,
    where: PropertyFilter[] | undefined,
    select: string,
  ) {
    const conditions = ['e.cid = c.id', `e.type = ${lit(type)}`];
    if (days !== undefined) {
      conditions.push(`e.at >= ${dayStart(today - days + 1)}`, `e.at < ${dayStart(today + 1)}`);
    }
    for (const { property, ...t } of where ?? []) {
      const column = EVENT_COLUMNS[property];
      if (!column) throw new Error(`no event column for ${property}`);
      conditions.push(
        `coalesce((${test(`e.${column}`, typeof t.equals === 'number' ? 'number' : 'text', t)}), false)`,
      );
    }
    return `(SELECT ${select} FROM events e WHERE ${conditions.join(' AND ')})`;
  }

  function column(field: string): [string, Kind] {
    const found = COLUMNS[field];
    if (!found) throw new Error(`no column for ${field}`);
    return found;
  }

  function go(r: Rule): string {
    if ('and' in r) return `(${r.and.map(go).join(' AND ')})`;
    if ('or' in r) return `(${r.or.map(go).join(' OR ')})`;
    if ('not' in r) return `(NOT ${go(r.not)})`;
    if ('attribute' in r) {
      const { field, ...t } = r.attribute;
      const [col, kind] = column(field);
      return leaf(test(col, kind, t));
    }
    if ('score' in r) {
      const { name, ...t } = r.score;
      const [col, kind] = column(scoreFields[name]);
      return leaf(test(col, kind, t));
    }
    if ('tier' in r) {
      return leaf(
        Object.entries(r.tier)
          .map(
            ([k, list]) =>
              `${column(tierFields[k as keyof typeof tierFields])[0]} IN (${list.map(lit).join(', ')})`,
          )
          .join(' AND '),
      );
    }
    if ('geo' in r) {
      return leaf(
        Object.entries(r.geo)
          .map(([k, list]) => `${column(`address.${k}`)[0]} IN (${list.map(lit).join(', ')})`)
          .join(' AND '),
      );
    }
    if ('tags' in r) {
      const list = `[${(r.tags.any ?? r.tags.all ?? r.tags.none ?? []).map(lit).join(', ')}]`;
      if (r.tags.any) return leaf(`list_has_any(coalesce(tags, []), ${list})`);
      if (r.tags.all) return leaf(`list_has_all(coalesce(tags, []), ${list})`);
      return leaf(`NOT list_has_any(coalesce(tags, []), ${list})`);
    }
    if ('consent' in r) {
      const channel = CONSENT_COLUMNS[`${r.consent.channel}:*`];
      if (!channel) throw new Error(`no consent column for ${r.consent.channel}`);
      const want = lit(r.consent.status ?? 'opted_in');
      if (r.consent.topic === undefined) return leaf(`coalesce(${channel}, 'none') = ${want}`);
      const topic = CONSENT_COLUMNS[`${r.consent.channel}:${r.consent.topic}`];
      if (!topic) throw new Error(`no consent column for ${r.consent.topic}`);
      const fallback = lit(ctx.topicDefaults[r.consent.topic] ?? 'none');
      return leaf(
        `CASE WHEN ${channel} = 'opted_out' THEN 'opted_out' ELSE coalesce(${topic}, ${channel}, ${fallback}) END = ${want}`,
      );
    }
    if ('segment' in r) return leaf(`list_contains(coalesce(segments, []), ${lit(r.segment.id)})`);
    if ('near' in r) {
      // The evaluator's haversine, operation for operation, so the two agree to the last bit.
      const rad = `CAST('${Math.PI / 180}' AS DOUBLE)`;
      const { lat, lon, km } = r.near;
      const dLat = `((lat - ${lat}) * ${rad})`;
      const dLon = `((lon - ${lon}) * ${rad})`;
      const a = `(sin(${dLat} / 2) * sin(${dLat} / 2) + cos(${lat} * ${rad}) * cos(lat * ${rad}) * (sin(${dLon} / 2) * sin(${dLon} / 2)))`;
      return leaf(`2 * CAST('6371.0088' AS DOUBLE) * asin(least(1, sqrt(${a}))) <= ${km}`);
    }
    if ('event' in r) {
      const { type, within, where, atLeast, atMost } = r.event;
      const low = atLeast ?? (atMost === undefined ? 1 : 0);
      const count = events(type, within?.days, where, 'count(*)');
      return leaf(`${count} >= ${low}${atMost === undefined ? '' : ` AND ${count} <= ${atMost}`}`);
    }
    if ('eventValue' in r) {
      const { type, fn, property, within, where, ...t } = r.eventValue;
      const column = EVENT_COLUMNS[property];
      const agg = fn === 'sum' ? `coalesce(sum(e.${column}), 0)` : `${fn}(e.${column})`;
      return leaf(test(events(type, within?.days, where, agg), 'number', t));
    }
    if ('eventTime' in r) {
      const { type, which, where, ...t } = r.eventTime;
      return leaf(
        test(events(type, undefined, where, `${which === 'first' ? 'min' : 'max'}(e.at)`), 'instant', t),
      );
    }
    throw new Error(`the benchmark's SQL translator does not cover ${Object.keys(r)[0]}`);
  }

  return `SELECT count(*) AS n FROM customers c WHERE ${go(rule)}`;
}
