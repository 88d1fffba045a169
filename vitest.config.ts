import { defineConfig } from 'vitest/config';

/**
 * Two projects: `sqlite` runs every test on the embedded store; `postgres` runs
 * every test that touches a store again on a real PostgreSQL server
 * (scripts/test-postgres.mjs decides whether one is there).
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'sqlite', include: ['test/**/*.test.ts'], exclude: ['test/**/*.pg.test.ts', 'test/reliability/**', 'test/browser/**', 'test/deploy/image.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: ['test/**/*.test.ts'],
          exclude: ['test/domain/**', 'test/**/*.sqlite.test.ts', 'test/reliability/**', 'test/browser/**', 'test/deploy/**'],
          env: { PURSE_TEST_STORE: 'postgres' },
        },
      },
      {
        extends: true,
        test: {
          name: 'postgres-2proc',
          // The HTTP tests again, each call sent to one of two server processes on one database.
          include: ['test/http/**/*.test.ts', 'test/payments/**/*.test.ts'],
          // These start their own server processes.
          exclude: ['test/http/concurrency.test.ts', 'test/http/scheduler-race.test.ts', 'test/http/webhooks-burst.pg.test.ts'],
          env: { PURSE_TEST_STORE: 'postgres', PURSE_TEST_TWO_PROCESSES: '1' },
        },
      },
      {
        extends: true,
        // npm run test:reliability: real server processes under load, crashes and storms, on both stores.
        test: { name: 'reliability', include: ['test/reliability/**/*.test.ts'], testTimeout: 1_800_000, hookTimeout: 120_000, fileParallelism: false },
      },
      {
        extends: true,
        // The reliability suite's bad-input and auth-matrix halves: the same tests, every call sent to one real server process.
        test: { name: 'reliability-http', include: ['test/http/invalid-input.test.ts', 'test/http/auth.test.ts'], env: { PURSE_TEST_PROCESSES: '1' } },
      },
      {
        extends: true,
        test: {
          name: 'reliability-http-postgres',
          include: ['test/http/invalid-input.test.ts', 'test/http/auth.test.ts'],
          env: { PURSE_TEST_PROCESSES: '1', PURSE_TEST_STORE: 'postgres' },
        },
      },
      {
        extends: true,
        // npm run test:deploy: the Dockerfile's steps in a clean clone (npm ci, build, prune), then the image's CMD.
        test: { name: 'deploy', include: ['test/deploy/image.test.ts'], testTimeout: 300_000, hookTimeout: 1_800_000 },
      },
      {
        extends: true,
        // npm run test:browser: the web app in Debian's Chromium through playwright-core.
        test: { name: 'browser', include: ['test/browser/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 180_000, fileParallelism: false },
      },
    ],
  },
});
