/**
 * Waits until stream consumers of a running local stack (all, or the one named) have handled every table
 * change written before the call, as GET /_local/streams reports it. Tests and benchmarks wait on it
 * before they would race background work.
 */
export async function streamsSettled(
  apiUrl: string,
  options: { functionName?: string; timeoutMs?: number } = {},
): Promise<void> {
  const since = Date.now();
  const deadline = since + (options.timeoutMs ?? 120_000);
  for (;;) {
    const response = await fetch(`${apiUrl}/_local/streams`);
    const { streams } = (await response.json()) as {
      streams: { functionName: string; caughtUpAt: string | null }[];
    };
    const watched = options.functionName
      ? streams.filter((s) => s.functionName === options.functionName)
      : streams;
    if (watched.length === 0)
      throw new Error(`The local runtime has no stream consumer named ${options.functionName}`);
    if (watched.every((s) => s.caughtUpAt !== null && Date.parse(s.caughtUpAt) > since)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${options.functionName ?? 'The stream consumers'} did not handle the table changes in time`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
