/**
 * The loop of a paged pipeline message (segment recomputations, rescoring runs): a message names the
 * step its chain is at (`page`, and `startKey` where the scan goes on); it works through steps for up
 * to `budgetMs`, reading the next step while the last one is recorded, then hands the rest on (as a new
 * message, or by finishing when the scan is done). A step recorded as done already (a redelivered
 * message) is skipped, so repeating a message repeats nothing.
 */
export interface StepChain<
  M extends { page: number; startKey?: string | undefined },
  R extends { next: string },
> {
  budgetMs: number;
  /** Where a step recorded as done says the scan goes on ('' when it ended); undefined when not done. */
  done(message: M): Promise<string | undefined>;
  /** Reads the step's items; `next` is where the scan goes on after them ('' at the end). */
  read(message: M): Promise<R>;
  /** Does the step's work and records it done; returns where the scan goes on, as recorded. */
  record(message: M, read: R): Promise<string>;
  /** Goes on from `next` in a new message, or finishes when `next` is ''. */
  handOn(message: M, next: string): Promise<void>;
}

export async function workThroughSteps<
  M extends { page: number; startKey?: string | undefined },
  R extends { next: string },
>(first: M, chain: StepChain<M, R>): Promise<void> {
  const started = Date.now();
  const following = (message: M, next: string): M => ({ ...message, page: message.page + 1, startKey: next });
  let message = first;
  let ahead: Promise<R> | undefined;
  for (;;) {
    let next = await chain.done(message);
    if (next !== undefined) ahead = undefined;
    else {
      const read = await (ahead ?? chain.read(message));
      ahead = undefined;
      if (read.next && Date.now() - started < chain.budgetMs) {
        ahead = chain.read(following(message, read.next));
        // Read ahead only; a failure surfaces when the step is taken up.
        ahead.catch(() => {});
      }
      next = await chain.record(message, read);
    }
    if (!next || Date.now() - started >= chain.budgetMs) return chain.handOn(message, next);
    message = following(message, next);
  }
}
