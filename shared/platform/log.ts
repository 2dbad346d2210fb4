/**
 * Structured JSON logs on stdout/stderr, one line each, as CloudWatch expects. Callers pass ids and
 * counts, never personal data; errors are reduced to name, message and stack.
 */
type Level = 'debug' | 'info' | 'warn' | 'error';

function write(level: Level, message: string, fields?: Record<string, unknown>): void {
  if (level === 'debug' && !process.env.COHORT_DEBUG) return;
  const line: Record<string, unknown> = { level, message, time: new Date().toISOString() };
  for (const [k, v] of Object.entries(fields ?? {})) {
    line[k] = v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : v;
  }
  const text = JSON.stringify(line);
  if (level === 'error' || level === 'warn') process.stderr.write(`${text}\n`);
  else process.stdout.write(`${text}\n`);
}

export const log = {
  debug: (message: string, fields?: Record<string, unknown>) => write('debug', message, fields),
  info: (message: string, fields?: Record<string, unknown>) => write('info', message, fields),
  warn: (message: string, fields?: Record<string, unknown>) => write('warn', message, fields),
  error: (message: string, fields?: Record<string, unknown>) => write('error', message, fields),
};
