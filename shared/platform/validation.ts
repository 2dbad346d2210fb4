import type { FieldError } from './errors.ts';
import type * as z from './zod.ts';

/** Renders a path like `events[3].amount`, prefixed by where it came from (`query.limit`). */
export function fieldPath(location: string, path: readonly PropertyKey[]): string {
  let out = location;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || 'body';
}

export function zodIssuesToFieldErrors(issues: readonly z.core.$ZodIssue[], location: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        errors.push({ path: fieldPath(location, [...issue.path, key]), message: 'is not a known field' });
      }
      continue;
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the branch that got furthest rather than "invalid input".
      const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0] ?? [];
      const nested = zodIssuesToFieldErrors(best, location);
      if (nested.length > 0) {
        errors.push(...nested);
        continue;
      }
    }
    errors.push({ path: fieldPath(location, issue.path), message: issue.message });
  }
  return errors;
}

function depth(issues: readonly z.core.$ZodIssue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length));
}
