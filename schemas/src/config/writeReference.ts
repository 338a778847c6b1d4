/** `npm run docs`: rewrites schemas/CONFIG.md from the zod schemas. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '#common/paths.js';
import { configReference } from './reference.js';

writeFileSync(join(packageRoot(), 'schemas', 'CONFIG.md'), configReference());
process.stdout.write('wrote schemas/CONFIG.md\n');
