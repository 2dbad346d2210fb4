import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: manifest entries and the default data folder are relative to it. */
export const repositoryRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** True when this module is the script node/tsx was asked to run. */
export function isMainModule(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && fileURLToPath(moduleUrl) === resolve(script);
}
