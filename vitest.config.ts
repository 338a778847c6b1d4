import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Cross-folder imports (`#schemas/…`, see package.json "imports") resolve to the
// TypeScript sources under the `qmpipe-source` condition, and to dist/ otherwise.
const conditions = ['qmpipe-source', ...defaultServerConditions];

// Two projects: `unit` needs no services; `integration` starts the real stack
// (Kafka, S3Proxy, QEMU) once per run through infra/ and tears it down.
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{common,schemas,agent,processor,alerts,tools,demo,cli}/src/**/*.test.ts', 'test/unit/**/*.test.ts'],
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
