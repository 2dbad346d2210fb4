import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoff } from '../../shared/platform/backoff.ts';

describe('backoff', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('waits nothing before the first attempt and up to a doubling, capped ceiling after that', async () => {
    // Prepare: the largest random draw, so the wait is the ceiling itself
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(1);
    const waits: number[] = [];
    const spy = vi.spyOn(globalThis, 'setTimeout');

    // Act
    for (const attempt of [0, 1, 2, 3, 8]) {
      const done = backoff(attempt, { baseMs: 10, capMs: 500 });
      await vi.runAllTimersAsync();
      await done;
    }
    for (const call of spy.mock.calls) waits.push(Number(call[1]));

    // Assess
    expect(waits).toEqual([20, 40, 80, 500]);
  });
});
