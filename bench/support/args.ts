/**
 * Options of one benchmark, given after its name: `npm run bench -- api-overhead --batches 20`.
 * Each benchmark declares its options with their defaults (the sizes its issue names), so an option
 * that is misspelt fails loudly instead of silently running the full size.
 */

/** A mistake on the command line; the runner prints it with the usage and exits with code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type OptionDefaults = Record<string, number | string>;

/**
 * Reads `--name value` and `--name=value` pairs. A number default makes the option a positive integer
 * (sizes and counts); a string default takes any non-empty text.
 */
export function parseOptions<T extends OptionDefaults>(args: readonly string[], defaults: T): T {
  const options: OptionDefaults = { ...defaults };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const match = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg);
    if (!match?.[1]) throw new UsageError(`Unexpected argument "${arg}"; options look like --name value`);
    const name = match[1];
    const fallback = defaults[name];
    if (fallback === undefined) {
      throw new UsageError(`Unknown option --${name}; known: ${knownOptions(defaults)}`);
    }
    const raw = match[2] ?? args[++i];
    if (raw === undefined || raw === '') throw new UsageError(`Option --${name} needs a value`);
    options[name] = typeof fallback === 'number' ? positiveInteger(name, raw) : raw;
  }
  return options as T;
}

function positiveInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new UsageError(`Option --${name} must be a whole number of at least 1, got "${raw}"`);
  }
  return value;
}

export function knownOptions(defaults: OptionDefaults): string {
  return Object.entries(defaults)
    .map(([name, value]) => `--${name} (default ${value})`)
    .join(', ');
}
