import { defineConfig } from 'vitest/config';

// Timeouts are hang guards, never speed checks (benchmarks measure speed). CI is a busy 2-core machine where
// a suite can run 4-5x slower than alone, so the guards sit far above the work:
// - fast: unit and integration suites (a tiny model, a temp LanceDB, inject()), seconds each.
// - e2e: suites that run the built CLI, a browser, the house model on the shared catalog, or Postgres end to
//   end (`*.e2e.test.ts`, test/scale, test/training). The slowest test alone takes about 40 s (migrating 3,000
//   shared products to pgvector); 15 minutes per test and per hook leaves room for a machine 20x slower.
const HEAVY = ['test/**/*.e2e.test.ts', 'test/scale/**/*.test.ts', 'test/training/**/*.test.ts'];
const MINUTE = 60_000;

export default defineConfig({
  test: {
    pool: 'forks',
    // One file at a time: the heavy suites each use both cores.
    fileParallelism: false,
    projects: [
      {
        extends: true,
        test: {
          name: 'fast',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/**/*.test.ts'],
          exclude: HEAVY,
          testTimeout: 2 * MINUTE,
          hookTimeout: 5 * MINUTE,
        },
      },
      {
        extends: true,
        test: { name: 'e2e', include: HEAVY, testTimeout: 15 * MINUTE, hookTimeout: 15 * MINUTE },
      },
    ],
  },
});
