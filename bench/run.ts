/**
 * `npm run bench`: runs every compiled `*.bench.js` beside this file (or those
 * named on the command line, e.g. `npm run bench -- core`), each in its own
 * process so one's heap does not disturb another's. Each benchmark prints JSON
 * lines {"name","value","unit"} and measures its own baseline in the same run.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => filter.length === 0 || filter.some((w) => f.includes(w)))
  .sort();
if (files.length === 0) {
  process.stderr.write(`no benchmarks matched ${filter.join(' ')}\n`);
  process.exit(2);
}
let failed = 0;
for (const f of files) {
  process.stderr.write(`# ${f}\n`);
  const res = spawnSync(process.execPath, ['--expose-gc', join(here, f)], { stdio: 'inherit' });
  if (res.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
