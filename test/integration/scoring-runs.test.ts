import { describe, expect, it } from 'vitest';
import { useStackEnv } from '../support/stack-env.ts';

useStackEnv();
const { claimSettle, stepRows } = await import('../../shared/scoring/runs.ts');
const { store } = await import('../../shared/store/service.ts');
const { newId } = await import('../../shared/platform/ids.ts');

describe('a rescoring run settles once', () => {
  it('lets one of the segments finishing together send the settle message, and the same step again', async () => {
    // Prepare: a run still measuring, whose last two segments finish at once.
    const runId = newId();
    await store()
      .entities.scoringRun.create({
        runId,
        trigger: 'api',
        status: 'measuring',
        segments: 4,
        startedAt: new Date().toISOString(),
        measuredSegments: 4,
        scoredSegments: 0,
        customersMeasured: 0,
        customersScored: 0,
        customersChanged: 0,
        expiresAt: Math.floor(Date.now() / 1000) + 3600,
      })
      .go();
    // Act: both claim at once; then the winner's message is redelivered (it crashed before sending).
    const together = await Promise.all([
      claimSettle(runId, '1#0002#000004'),
      claimSettle(runId, '1#0003#000004'),
    ]);
    const winner = together[0] ? '1#0002#000004' : '1#0003#000004';
    const loser = together[0] ? '1#0003#000004' : '1#0002#000004';
    const redelivered = await claimSettle(runId, winner);
    const lateLoser = await claimSettle(runId, loser);
    const stored = (await store().entities.scoringRun.get({ runId }).go({ consistent: true })).data;
    // Assess
    expect(together.filter(Boolean)).toHaveLength(1);
    expect(redelivered).toBe(true);
    expect(lateLoser).toBe(false);
    expect(stored?.settleBy).toBe(winner);
  });

  it('claims nothing for a run that does not exist', async () => {
    // Act
    const claimed = await claimSettle(newId(), '1#0000#000000');
    // Assess: the patch's own existence condition fails; nothing is created.
    expect(claimed).toBe(false);
  });
});

describe('rescoring step sizes', () => {
  it('scores a page at a time while most rows change, and full steps once few do', () => {
    // Act / Assess: measuring always reads full steps; a first scoring step knows nothing yet.
    expect(stepRows(1, 1)).toBe(5000);
    expect(stepRows(2, 1)).toBe(1000);
    expect(stepRows(2, 0.5)).toBe(1000);
    expect(stepRows(2, 0.01)).toBe(5000);
    expect(stepRows(2, 0)).toBe(5000);
  });
});
