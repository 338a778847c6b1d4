import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Cross-folder imports (`#schemas/…`, see package.json "imports") resolve to the
// TypeScript sources here, as they do for tsc under its `qmpipe-source` condition;
// node resolves them to dist/. An alias, not a resolve condition: conditions would
// change how every package in node_modules resolves too.
const root = fileURLToPath(new URL('.', import.meta.url));
const alias = [{ find: /^#(common|schemas|agent|processor|alerts|tools|top|demo|cli)\/(.*)\.js$/, replacement: `${root}$1/src/$2.ts` }];

// Two projects: `unit` needs no services; `integration` starts the real stack
// (Kafka, S3Proxy, QEMU) once per run through infra/ and tears it down.
export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{common,schemas,agent,processor,alerts,tools,top,demo,cli}/src/**/*.test.ts', 'test/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/integration/globalSetup.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          pool: 'forks',
        },
      },
    ],
  },
});
