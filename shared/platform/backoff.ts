/**
 * Full-jitter exponential back-off ("Exponential Backoff And Jitter", AWS Architecture Blog): after the
 * n-th failed attempt wait a random time below a ceiling that doubles each time, so writers that collided
 * (a condition failure, a cancelled transaction, throttling) do not collide again in lockstep. The first
 * attempt (0) does not wait, so loops can call it unconditionally.
 */
export function backoff(attempt: number, options: { baseMs?: number; capMs?: number } = {}): Promise<void> {
  if (attempt <= 0) return Promise.resolve();
  const { baseMs = 20, capMs = 1000 } = options;
  return sleep(Math.random() * Math.min(capMs, baseMs * 2 ** attempt));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
