import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '#common/paths.js';

const help = `Usage: qmpipe stack <up|status|down>

Starts, checks or stops the local stack from infra/ (a single-node KRaft Kafka
broker and S3Proxy on loopback and ephemeral ports). Connection details are written
to .run/stack.env.
`;

export async function run(argv: string[]): Promise<number> {
  const action = argv[0];
  if (action === undefined || action === '--help' || action === '-h') {
    process.stdout.write(help);
    return action === undefined ? 2 : 0;
  }
  const script = { up: 'stack-up.sh', status: 'stack-status.sh', down: 'stack-down.sh' }[action];
  if (!script) {
    process.stderr.write(`qmpipe stack: unknown action '${action}'\n${help}`);
    return 2;
  }
  const res = spawnSync('bash', [join(packageRoot(), 'infra', script)], { stdio: 'inherit' });
  return res.status ?? 1;
}
