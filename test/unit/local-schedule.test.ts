import { describe, expect, it } from 'vitest';
import { parseSchedule, ScheduleExpressionError } from '../../infra/local/schedule.ts';

/** Fire times of a schedule after a start time, as ISO strings. */
function firings(expression: string, after: string, count: number, anchor?: string): string[] {
  const schedule = parseSchedule(expression, anchor ? { anchor: new Date(anchor) } : {});
  const times: string[] = [];
  let t: Date | undefined = new Date(after);
  for (let i = 0; i < count && t; i++) {
    t = schedule.next(t);
    if (t) times.push(t.toISOString());
  }
  return times;
}

describe('rate expressions', () => {
  it('fires every period counted from the anchor', () => {
    // Act
    const times = firings('rate(15 minutes)', '2026-03-01T10:00:00Z', 3, '2026-03-01T10:00:00Z');

    // Assess
    expect(times).toEqual([
      '2026-03-01T10:15:00.000Z',
      '2026-03-01T10:30:00.000Z',
      '2026-03-01T10:45:00.000Z',
    ]);
  });

  it('catches up to the next period when asked after several have passed', () => {
    // Act
    const times = firings('rate(1 hour)', '2026-03-01T12:30:00Z', 1, '2026-03-01T10:00:00Z');

    // Assess
    expect(times).toEqual(['2026-03-01T13:00:00.000Z']);
  });

  it('accepts days', () => {
    // Act
    const times = firings('rate(2 days)', '2026-03-01T00:00:00Z', 2, '2026-03-01T00:00:00Z');

    // Assess
    expect(times).toEqual(['2026-03-03T00:00:00.000Z', '2026-03-05T00:00:00.000Z']);
  });

  it.each([
    ['rate(1 minutes)', 'singular'],
    ['rate(5 minute)', 'plural'],
    ['rate(0 minutes)', 'positive'],
    ['rate(5 weeks)', 'minute|minutes'],
    ['rate(five minutes)', 'minute|minutes'],
  ])('rejects %s as EventBridge does', (expression) => {
    // Act
    const parse = () => parseSchedule(expression);

    // Assess
    expect(parse).toThrow(ScheduleExpressionError);
  });
});

describe('cron expressions', () => {
  it('fires daily at a fixed UTC time', () => {
    // Act
    const times = firings('cron(0 3 * * ? *)', '2026-03-01T03:00:00Z', 2);

    // Assess
    expect(times).toEqual(['2026-03-02T03:00:00.000Z', '2026-03-03T03:00:00.000Z']);
  });

  it('handles steps and ranges: every 15 minutes during 9-10 on weekdays by name', () => {
    // Prepare: 2026-03-06 is a Friday.
    const after = '2026-03-06T10:50:00Z';

    // Act
    const times = firings('cron(0/15 9-10 ? * MON-FRI *)', after, 3);

    // Assess: Saturday and Sunday are skipped.
    expect(times).toEqual([
      '2026-03-09T09:00:00.000Z',
      '2026-03-09T09:15:00.000Z',
      '2026-03-09T09:30:00.000Z',
    ]);
  });

  it('counts day-of-week from 1 = Sunday', () => {
    // Act
    const sundays = firings('cron(30 8 ? * 1 *)', '2026-03-01T09:00:00Z', 2);

    // Assess
    expect(sundays).toEqual(['2026-03-08T08:30:00.000Z', '2026-03-15T08:30:00.000Z']);
  });

  it('handles lists of months and days of the month', () => {
    // Act
    const times = firings('cron(0 0 1,15 JAN,JUL ? *)', '2026-01-10T00:00:00Z', 3);

    // Assess
    expect(times).toEqual([
      '2026-01-15T00:00:00.000Z',
      '2026-07-01T00:00:00.000Z',
      '2026-07-15T00:00:00.000Z',
    ]);
  });

  it('handles the last day of the month, leap years included', () => {
    // Act
    const times = firings('cron(0 12 L * ? *)', '2028-01-31T12:00:00Z', 2);

    // Assess
    expect(times).toEqual(['2028-02-29T12:00:00.000Z', '2028-03-31T12:00:00.000Z']);
  });

  it('handles the nth weekday of the month (#) and the last one (L)', () => {
    // Act
    const firstMonday = firings('cron(0 9 ? * 2#1 *)', '2026-03-01T00:00:00Z', 1);
    const lastFriday = firings('cron(0 9 ? * 6L *)', '2026-03-01T00:00:00Z', 1);

    // Assess
    expect(firstMonday).toEqual(['2026-03-02T09:00:00.000Z']);
    expect(lastFriday).toEqual(['2026-03-27T09:00:00.000Z']);
  });

  it('handles the nearest weekday (W)', () => {
    // Prepare: 2026-03-15 is a Sunday, so 15W is Monday the 16th.
    const after = '2026-03-01T00:00:00Z';

    // Act
    const times = firings('cron(0 9 15W * ? *)', after, 1);

    // Assess
    expect(times).toEqual(['2026-03-16T09:00:00.000Z']);
  });

  it('stops after the last year it names', () => {
    // Act
    const times = firings('cron(0 0 1 1 ? 2027)', '2026-06-01T00:00:00Z', 3);

    // Assess
    expect(times).toEqual(['2027-01-01T00:00:00.000Z']);
  });

  it('never fires at the exact time it is asked from', () => {
    // Act
    const times = firings('cron(* * * * ? *)', '2026-03-01T10:00:00Z', 2);

    // Assess
    expect(times).toEqual(['2026-03-01T10:01:00.000Z', '2026-03-01T10:02:00.000Z']);
  });

  it.each([
    ['cron(0 3 * * * *)', 'both day fields set'],
    ['cron(0 3 ? * ? *)', 'both day fields ?'],
    ['cron(0 3 * * ?)', 'five fields'],
    ['cron(60 3 * * ? *)', 'minute out of range'],
    ['cron(0 3 * 13 ? *)', 'month out of range'],
    ['cron(0 3 ? * 8 *)', 'weekday out of range'],
    ['cron(0 5-3 * * ? *)', 'backwards range'],
    ['cron(0/0 3 * * ? *)', 'zero step'],
    ['every day', 'neither rate nor cron'],
  ])('rejects %s (%s)', (expression) => {
    // Act
    const parse = () => parseSchedule(expression);

    // Assess
    expect(parse).toThrow(ScheduleExpressionError);
  });
});

describe('the manifest schedules', () => {
  it('all parse', async () => {
    // Prepare
    const { functionEntries } = await import('../../functions/manifest.ts');
    const expressions = functionEntries().flatMap(([, spec]) =>
      spec.trigger.kind === 'schedule' ? [spec.trigger.expression] : [],
    );

    // Act
    const parse = () => expressions.map((e) => parseSchedule(e));

    // Assess
    expect(parse).not.toThrow();
  });
});
