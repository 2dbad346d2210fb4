import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * zod, as the project uses it: `zod/mini`, the functional build whose unused parts tree-shake away
 * (classic zod hangs every method on the schema prototypes, so a bundle carries all of it), with the
 * English messages that classic zod installs by itself. zod/mini leaves the locale to the application;
 * without it every issue that has no message of its own reads "Invalid input".
 *
 * Import it as `import * as z from '../platform/zod.ts'`, not from 'zod/mini' directly, so that the
 * locale is set wherever a schema exists. Only what a module calls ends up in its bundle: the JSON Schema
 * generator, for one, is used by shared/api/openapi.ts alone and stays out of the other functions.
 */
config(en());

export * from 'zod/mini';
