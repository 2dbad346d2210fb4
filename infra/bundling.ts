import { fileURLToPath } from 'node:url';

/**
 * What every function bundle shares, in one place for the CDK app (infra/constructs/functions.ts,
 * NodejsFunction with the local esbuild) and bench/cold-start.ts, which must bundle exactly as deployed.
 */

/** The AWS SDK v3 is left to the nodejs24.x runtime, which ships it (see functions.ts). */
export const sdkExternal = '@aws-sdk/*';

/**
 * The functions are ESM (package.json says "type": "module"), but some bundled dependencies still call
 * `require` (ElectroDB requires the AWS SDK, which is left to the runtime); esbuild's ESM output has no
 * `require`, so the banner provides one.
 */
export const esmRequireBanner =
  "import { createRequire as __cohortCreateRequire } from 'node:module'; const require = __cohortCreateRequire(import.meta.url);";

/**
 * Packages replaced in bundles: `jsonschema`, which ElectroDB uses only to validate entity models at
 * construction, by a validator that accepts them (see the file). The check moves from every cold start
 * (about 110 ms of a customers function's 260 ms init) to the tests, which use the real package.
 */
export const bundleAliases: Record<string, string> = {
  jsonschema: fileURLToPath(new URL('./bundling/jsonschema-accept-all.cjs', import.meta.url)),
};

/**
 * Syntax esbuild lowers although Node 24 has it: arrow functions become function expressions. Most
 * functions that run at start-up are passed straight to a call: esbuild's wrapper of each CommonJS
 * module (all of ElectroDB) and the builders of the module-scope schemas (`schema(() => ...)`). V8
 * compiles such a function expression when it compiles the code around it, whereas it pre-parses an
 * arrow function there and parses it a second time when the arrow is first called. Measured on
 * customersGet: module compile 9.5 to 7.4 ms, init 6-9 ms shorter, bundle 3% larger. On a synthetic
 * file of 3,000 calls `g(() => {...})` against `g(function () {...})`: 72 against 63 ms.
 * esbuild keeps `this` and `arguments` meaning what they meant in the arrows.
 */
export const loweredSyntax: Record<string, boolean> = { arrow: false };

/** The same, as esbuild command-line flags (NodejsFunction passes `esbuildArgs` to the CLI). */
export const loweredSyntaxArgs: Record<string, string> = Object.fromEntries(
  Object.entries(loweredSyntax).map(([feature, on]) => [`--supported:${feature}`, String(on)]),
);
