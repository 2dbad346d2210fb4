import { defineConfig } from 'vitest/config';

/**
 * Three projects: `unit` (no I/O), `stack` (integration and end-to-end tests against one local stack
 * started by the global set-up: DynamoDB Local, fauxqs, the SES emulator and the local runtime),
 * and `infra` (CDK template assertions and cdk-nag).
 */
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node' } },
      {
        test: {
          name: 'stack',
          // test/browser drives Debian's Chromium (installed by the test's set-up when missing).
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/browser/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          // One stack, one table: files run one after another so whole-table assertions hold.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
