/**
 * The local stack's console output. `quiet` silences the request and delivery lines (tests) but never
 * errors. Lines carry function names, ids and counts, never request bodies or customer data.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

export function createLogger(options: { quiet?: boolean; prefix?: string } = {}): Logger {
  const prefix = options.prefix ?? '[local]';
  return {
    info: (message) => {
      if (!options.quiet) process.stdout.write(`${prefix} ${message}\n`);
    },
    warn: (message) => {
      process.stderr.write(`${prefix} ${message}\n`);
    },
    error: (message, error) => {
      const detail = error === undefined ? '' : `\n${describeError(error)}`;
      process.stderr.write(`${prefix} ${message}${detail}\n`);
    },
  };
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
