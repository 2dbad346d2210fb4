import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DuckDBInstance } from '@duckdb/node-api';
import { compile } from '../shared/segments/compile.ts';
import { parseRule } from '../shared/segments/rule.ts';
import type { Subject } from '../shared/segments/subject.ts';
import { population } from './segments/data.ts';
import { SEGMENTS } from './segments/rules.ts';
import { toSql } from './segments/sql.ts';
import { parseOptions } from './support/args.ts';
import { fixed, table } from './support/report.ts';

/**
 * segment-evaluator: 1,000,000 customers in memory x 20 realistic segments, evaluated by the compiled
 * rules on one core, against DuckDB (in memory, `SET threads=1`) running the same 20 rules as SQL over
 * the same data. ratio = evaluator evaluations/s / DuckDB evaluations/s; target >= 0.5.
 *
 * Both sides must find the same number of members in every segment, or the run fails: a fast wrong
 * answer is not a result. Also reported: a preview, i.e. parsing, compiling and evaluating a draft rule
 * over 100,000 customers and keeping a sample of 20 members.
 */

const TARGET = 0.5;
/** 2026-11-23 12:00 in Shanghai: every benchmark customer lives there (UTC+8 all year). */
const NOW = Date.UTC(2026, 10, 23, 4, 0, 0);
const ZONE = 'Asia/Shanghai';
const OFFSET_MS = 8 * 3_600_000;
const OPTIONS = { defaultTimeZone: ZONE, topicDefaults: { promotions: 'opted_out' } } as const;

const defaults = {
  /** Customers in memory. */
  customers: 1_000_000,
  /** Timed rounds per side; the median counts. */
  rounds: 3,
  /** Customers the preview evaluates. */
  preview: 100_000,
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const tsv = (v: unknown) => (v === undefined || v === null ? '' : String(v));

async function loadDuckDb(subjects: readonly Subject[]) {
  const dir = await mkdtemp(join(tmpdir(), 'segment-bench-'));
  const customersFile = join(dir, 'customers.tsv');
  const eventsFile = join(dir, 'events.tsv');
  const customerLines: string[] = [];
  const eventLines: string[] = [];
  for (const s of subjects) {
    const p = s.profile;
    const sc = s.scores;
    customerLines.push(
      [
        s.id,
        p.gender,
        p.owner,
        p.address?.country,
        p.address?.province,
        p.address?.city,
        Date.parse(p.createdAt as string),
        (p.tags ?? []).join('|'),
        s.computed?.orders,
        s.computed?.revenue,
        s.computed?.lastPurchaseDate,
        sc?.abc,
        sc?.valueTier,
        sc?.lifecycle?.stage,
        sc?.rfm?.recency,
        sc?.rfm?.frequency,
        sc?.rfm?.monetary,
        sc?.churn?.score,
        sc?.churn?.flagged,
        sc?.clv?.predicted,
        sc?.clv?.decile,
        p.attributes?.memberLevel,
        p.attributes?.favoriteCategory,
        s.consents?.['sms:*'],
        s.consents?.['email:*'],
        s.consents?.['email:promotions'],
        [...(s.segments ?? [])].join('|'),
        s.location?.lat,
        s.location?.lon,
      ]
        .map(tsv)
        .join('\t'),
    );
    for (const e of s.events ?? []) {
      eventLines.push([s.id, e.type, e.at, e.properties?.amount, e.properties?.channel].map(tsv).join('\t'));
    }
  }
  await writeFile(customersFile, `${customerLines.join('\n')}\n`);
  await writeFile(eventsFile, `${eventLines.join('\n')}\n`);
  customerLines.length = 0;
  eventLines.length = 0;

  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  await db.run('SET threads = 1');
  await db.run(`CREATE TABLE customers AS SELECT
      id, gender, owner, country, province, city, created_ms,
      CASE WHEN tags_raw IS NULL THEN []::VARCHAR[] ELSE string_split(tags_raw, '|') END AS tags,
      orders, revenue, last_purchase, abc, value_tier, lifecycle, rfm_r, rfm_f, rfm_m, churn, churn_flagged,
      clv, clv_decile, member_level, favorite_category, c_sms, c_email, c_email_promotions,
      CASE WHEN segments_raw IS NULL THEN []::VARCHAR[] ELSE string_split(segments_raw, '|') END AS segments,
      lat, lon
    FROM read_csv('${customersFile}', delim = '\t', header = false, quote = '', escape = '', columns = {
      'id': 'VARCHAR', 'gender': 'VARCHAR', 'owner': 'VARCHAR', 'country': 'VARCHAR', 'province': 'VARCHAR',
      'city': 'VARCHAR', 'created_ms': 'BIGINT', 'tags_raw': 'VARCHAR', 'orders': 'INTEGER', 'revenue': 'DOUBLE',
      'last_purchase': 'DATE', 'abc': 'VARCHAR', 'value_tier': 'VARCHAR', 'lifecycle': 'VARCHAR',
      'rfm_r': 'INTEGER', 'rfm_f': 'INTEGER', 'rfm_m': 'INTEGER', 'churn': 'DOUBLE', 'churn_flagged': 'BOOLEAN',
      'clv': 'DOUBLE', 'clv_decile': 'INTEGER', 'member_level': 'INTEGER', 'favorite_category': 'VARCHAR',
      'c_sms': 'VARCHAR', 'c_email': 'VARCHAR', 'c_email_promotions': 'VARCHAR', 'segments_raw': 'VARCHAR',
      'lat': 'DOUBLE', 'lon': 'DOUBLE'})`);
  await db.run(`CREATE TABLE events AS SELECT * FROM read_csv('${eventsFile}', delim = '\t', header = false,
      quote = '', escape = '', columns = {'cid': 'VARCHAR', 'type': 'VARCHAR', 'at': 'BIGINT', 'amount': 'DOUBLE', 'channel': 'VARCHAR'})`);
  await rm(dir, { recursive: true, force: true });
  return { instance, db };
}

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args, defaults);
  const n = options.customers;

  // Prepare
  let started = performance.now();
  const subjects = population(n, NOW);
  const events = subjects.reduce((sum, s) => sum + (s.events?.length ?? 0), 0);
  console.log(
    `generated ${n} customers, ${events} events in ${fixed((performance.now() - started) / 1000)} s`,
  );
  const rules = SEGMENTS.map(([name, raw]) => ({ name, rule: parseRule(raw) }));
  const compiled = rules.map(({ rule }) => compile(rule, OPTIONS));
  const sql = rules.map(({ rule }) =>
    toSql(rule, { now: NOW, offsetMs: OFFSET_MS, topicDefaults: OPTIONS.topicDefaults }),
  );

  started = performance.now();
  const { instance, db } = await loadDuckDb(subjects);
  console.log(`loaded DuckDB in ${fixed((performance.now() - started) / 1000)} s`);

  // Act: the evaluator as a recomputation worker runs it, every segment for one customer, then the
  // next (the customer's data stays in cache; segment after segment over a million customers would
  // fetch each one from memory twenty times).
  const evaluate = () => {
    const counts = compiled.map(() => 0);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const s = subjects[i] as Subject;
      for (let k = 0; k < compiled.length; k++) {
        if ((compiled[k] as (typeof compiled)[number]).evaluate(s, NOW))
          counts[k] = (counts[k] as number) + 1;
      }
    }
    return { counts, times: [performance.now() - t0] };
  };
  const query = async () => {
    const counts: number[] = [];
    const times: number[] = [];
    for (const text of sql) {
      const t0 = performance.now();
      const reader = await db.runAndReadAll(text);
      times.push(performance.now() - t0);
      counts.push(Number(reader.getRows()[0]?.[0]));
    }
    return { counts, times };
  };
  // Warm-up: JIT on one side, plans and caches on the other.
  for (const rule of compiled)
    for (let i = 0; i < Math.min(n, 50_000); i++) rule.evaluate(subjects[i] as Subject, NOW);
  await query();

  const jsRounds: { counts: number[]; times: number[] }[] = [];
  const dbRounds: { counts: number[]; times: number[] }[] = [];
  for (let r = 0; r < options.rounds; r++) {
    jsRounds.push(evaluate());
    dbRounds.push(await query());
  }

  // Assess: the same members, segment by segment, or no result at all.
  const jsCounts = (jsRounds[0] as { counts: number[] }).counts;
  const dbCounts = (dbRounds[0] as { counts: number[] }).counts;
  const mismatches = rules.filter((_, i) => jsCounts[i] !== dbCounts[i]);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const jsMs = median(jsRounds.map((r) => sum(r.times)));
  const dbMs = median(dbRounds.map((r) => sum(r.times)));
  console.log(
    table(
      ['segment', 'members', 'duckdb members', 'duckdb ms'],
      rules.map(({ name }, i) => [
        name.length > 60 ? `${name.slice(0, 57)}...` : name,
        jsCounts[i] as number,
        dbCounts[i] as number,
        fixed(median(dbRounds.map((r) => r.times[i] as number))),
      ]),
    ),
  );
  if (mismatches.length > 0) {
    for (const { name } of mismatches) console.error(`MISMATCH: ${name}`);
    instance.closeSync();
    throw new Error(
      `segment-evaluator: the evaluator and DuckDB disagree on ${mismatches.length} segment(s)`,
    );
  }

  // Preview: a draft rule straight from the editor, over the first 100,000 customers.
  const previewCount = Math.min(n, options.preview);
  const draft = SEGMENTS[0]?.[1];
  const previews: number[] = [];
  let previewMembers = 0;
  for (let r = 0; r < options.rounds; r++) {
    const t0 = performance.now();
    const rule = compile(parseRule(draft), OPTIONS);
    const sample: string[] = [];
    let members = 0;
    for (let i = 0; i < previewCount; i++) {
      const s = subjects[i] as Subject;
      if (rule.evaluate(s, NOW)) {
        members++;
        if (sample.length < 20) sample.push(s.id);
      }
    }
    previews.push(performance.now() - t0);
    previewMembers = members;
  }
  instance.closeSync();

  const evaluations = n * rules.length;
  const jsRate = evaluations / (jsMs / 1000);
  const dbRate = evaluations / (dbMs / 1000);
  const ratio = jsRate / dbRate;
  console.log(
    `evaluator ${fixed(jsRate, 0)} evaluations/s, DuckDB (threads=1) ${fixed(dbRate, 0)} evaluations/s; preview of a draft over ${previewCount} customers: ${fixed(median(previews))} ms (${previewMembers} members)`,
  );
  console.log(
    `segment-evaluator ratio=${fixed(ratio)} target=${TARGET} met=${ratio >= TARGET ? 'yes' : 'no'} customers=${n} events=${events} segments=${rules.length} evaluator_evals_per_s=${fixed(jsRate, 0)} duckdb_evals_per_s=${fixed(dbRate, 0)} evaluator_ms=${fixed(jsMs)} duckdb_ms=${fixed(dbMs)} preview_customers=${previewCount} preview_ms=${fixed(median(previews))}`,
  );
}
