import { describe, expect, it } from 'vitest';
import { type StepChain, workThroughSteps } from '../../shared/platform/steps.ts';

type Message = { page: number; startKey?: string };

/** A scan of `steps` steps whose keys are the step numbers; `doneAlready` were recorded by an earlier delivery. */
function chain(steps: number, doneAlready: number[], budgetMs: number) {
  const recorded: number[] = [];
  const reads: number[] = [];
  const handedOn: { page: number; next: string }[] = [];
  const nextOf = (page: number) => (page + 1 < steps ? String(page + 1) : '');
  const spec: StepChain<Message, { next: string; page: number }> = {
    budgetMs,
    done: async (m) => (doneAlready.includes(m.page) ? nextOf(m.page) : undefined),
    read: async (m) => {
      reads.push(m.page);
      return { page: m.page, next: nextOf(m.page) };
    },
    record: async (m, read) => {
      expect(read.page).toBe(m.page);
      recorded.push(m.page);
      return read.next;
    },
    handOn: async (m, next) => {
      handedOn.push({ page: m.page, next });
    },
  };
  return { spec, recorded, reads, handedOn };
}

describe('working through the steps of a paged message', () => {
  it('records each step not done yet once, in order, and finishes when the scan ends', async () => {
    // Prepare: 5 steps, step 2 recorded by an earlier delivery.
    const c = chain(5, [2], 60_000);
    // Act
    await workThroughSteps({ page: 0 }, c.spec);
    // Assess
    expect(c.recorded).toEqual([0, 1, 3, 4]);
    expect(c.handedOn).toEqual([{ page: 4, next: '' }]);
    // Step 2 was read ahead before it was found done; nothing else was read twice.
    expect(c.reads.filter((p) => p !== 2)).toEqual([0, 1, 3, 4]);
  });

  it('hands the rest on once its time is spent', async () => {
    // Prepare
    const c = chain(5, [], 0);
    // Act
    await workThroughSteps({ page: 0, startKey: '0' }, c.spec);
    // Assess
    expect(c.recorded).toEqual([0]);
    expect(c.handedOn).toEqual([{ page: 0, next: '1' }]);
    expect(c.reads).toEqual([0]);
  });
});
