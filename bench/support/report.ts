/**
 * Output shared by the benchmarks. The last line a benchmark prints is its result, in one parseable
 * shape: `name ratio=R target<=T met=yes|no key=value ...`, raw figures on the same line.
 */

export type Figure = string | number;

/** Two decimals for milliseconds and ratios: finer digits are noise at these sizes. */
export function fixed(value: number, digits = 2): string {
  return value.toFixed(digits);
}

export function resultLine(
  name: string,
  result: { ratio: number; target: number },
  figures: Record<string, Figure>,
): string {
  const met = result.ratio <= result.target ? 'yes' : 'no';
  const parts = [`${name} ratio=${fixed(result.ratio)} target<=${result.target} met=${met}`];
  for (const [key, value] of Object.entries(figures)) parts.push(`${key}=${value}`);
  return parts.join(' ');
}

/** A plain text table: columns padded to their widest cell, numeric columns right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly Figure[])[]): string {
  const cells = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, c) => Math.max(...cells.map((row) => (row[c] ?? '').length)));
  const numeric = header.map(
    (_, c) => rows.length > 0 && rows.every((row) => /^-?\d+(\.\d+)?$/.test(String(row[c]))),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, c) => {
        const width = widths[c] ?? 0;
        return numeric[c] ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const [head, ...body] = cells;
  return [line(head ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
