#!/usr/bin/env node
// qmpipe's single CLI entry point. The TypeScript sources are compiled to dist/ by `npm ci` (prepare).
import { main } from '../dist/cli/src/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`qmpipe: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
