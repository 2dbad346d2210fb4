/**
 * Route matching as API Gateway HTTP APIs do it: `{name}` matches one path segment, `{name+}` the rest of
 * the path, and the most specific route wins (literal segments beat parameters, parameters beat greedy).
 */

export interface Route<T> {
  method: string;
  path: string;
  target: T;
}

export type RouteMatch<T> =
  | { kind: 'matched'; route: Route<T>; pathParameters: Record<string, string> }
  | { kind: 'not-found' }
  | { kind: 'bad-path' };

type Segment =
  | { kind: 'literal'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'greedy'; name: string };

interface CompiledRoute<T> {
  route: Route<T>;
  segments: Segment[];
}

export function compileRoutes<T>(routes: Route<T>[]): (method: string, rawPath: string) => RouteMatch<T> {
  const compiled: CompiledRoute<T>[] = routes.map((route) => ({ route, segments: parsePath(route.path) }));
  return (method, rawPath) => {
    const pathSegments = rawPath.split('/').slice(1);
    let best: { compiled: CompiledRoute<T>; params: Record<string, string>; rank: number[] } | undefined;
    try {
      for (const candidate of compiled) {
        if (candidate.route.method !== method) continue;
        const params = matchSegments(candidate.segments, pathSegments);
        if (!params) continue;
        const rank = candidate.segments.map((s) => (s.kind === 'literal' ? 2 : s.kind === 'param' ? 1 : 0));
        if (!best || compareRank(rank, best.rank) > 0) best = { compiled: candidate, params, rank };
      }
    } catch {
      return { kind: 'bad-path' };
    }
    return best
      ? { kind: 'matched', route: best.compiled.route, pathParameters: best.params }
      : { kind: 'not-found' };
  };
}

function parsePath(path: string): Segment[] {
  return path
    .split('/')
    .slice(1)
    .map((part): Segment => {
      const greedy = /^\{(\w+)\+\}$/.exec(part);
      if (greedy?.[1]) return { kind: 'greedy', name: greedy[1] };
      const param = /^\{(\w+)\}$/.exec(part);
      if (param?.[1]) return { kind: 'param', name: param[1] };
      return { kind: 'literal', value: part };
    });
}

/** Throws URIError on a malformed escape in a parameter; the caller answers 400. */
function matchSegments(segments: Segment[], pathSegments: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const actual = pathSegments[i];
    if (!segment) return undefined;
    if (segment.kind === 'greedy') {
      const rest = pathSegments.slice(i);
      if (rest.length === 0 || rest.join('/') === '') return undefined;
      params[segment.name] = decodeURIComponent(rest.join('/'));
      return params;
    }
    if (actual === undefined) return undefined;
    if (segment.kind === 'literal') {
      if (segment.value !== actual) return undefined;
    } else {
      if (actual === '') return undefined;
      params[segment.name] = decodeURIComponent(actual);
    }
  }
  return segments.length === pathSegments.length ? params : undefined;
}

function compareRank(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? -1) - (b[i] ?? -1);
    if (diff !== 0) return diff;
  }
  return 0;
}
