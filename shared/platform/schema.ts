/**
 * Declares a module-scope schema so that a bundle which does not use it leaves it out:
 *
 *   export const customerPatchSchema = /* @__PURE__ *\/ schema(() => z.strictObject({ ... }));
 *
 * Schemas are built when their module is evaluated, and building one is not free (zod sets up every
 * node and clones it for each check). The schema modules are shared: a function that validates a path
 * parameter imports the module that also holds the upsert, patch and response schemas, and without
 * this it built all of them at every cold start. esbuild drops a statement only if it is unused and has
 * no side effects; a chain of zod calls counts as having some, a `/* @__PURE__ *\/` call whose only
 * argument is a function does not. Each function's bundle therefore holds, and builds, only the schemas
 * it reaches. (esbuild honours the annotation at the call site only, not on this declaration, so it
 * goes on every call.)
 */
export function schema<T>(build: () => T): T {
  return build();
}
