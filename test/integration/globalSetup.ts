/**
 * Global setup of the `integration` vitest project: once per run it fetches what is missing
 * (jars, test guest), starts Kafka + S3Proxy through infra/stack.sh in their own run dir
 * (.run/it, so a `npm run demo` stack can keep running), finds out what the machine can do
 * (KVM, loop devices), and hands it all to tests with provide() (see helpers/context.ts for
 * the keys) and as env vars. Teardown stops leftover test VMs and the stack.
 * Each run gets .run/it/<pid of this vitest process>, so parallel runs in one work tree
 * (several engineers) never stop each other's servers. Its logs stay until the next run,
 * which also stops whatever a run whose process died left behind.
 */
import { execFile } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import type { MachineInfo, StackInfo } from './helpers/context.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

function parseEnv(text: string): Record<string, string> {
  return Object.fromEntries(
    text.split('\n').flatMap((l) => {
      const m = /^([A-Z0-9_]+)=(.*)$/.exec(l.trim());
      return m ? [[m[1]!, m[2]!]] : [];
    }),
  );
}

async function sh(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout, stderr } = await run('bash', [join(root, script), ...args], { env, maxBuffer: 4 << 20 });
    process.stderr.write(stderr);
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`integration setup: ${script} ${args.join(' ')} failed:\n${e.stderr || e.message}`);
  }
}

async function stopLeftovers(env: NodeJS.ProcessEnv, runDir: string): Promise<void> {
  const vmDir = join(runDir, 'vm');
  if (existsSync(vmDir)) {
    for (const name of readdirSync(vmDir)) await sh('infra/qemu/stop-vm.sh', [name], env).catch(() => {});
  }
  await sh('infra/stack-down.sh', [], env).catch(() => {});
}

function kvmInfo(): Pick<MachineInfo, 'kvm' | 'kvmReason'> {
  try {
    closeSync(openSync('/dev/kvm', 'r+'));
    return { kvm: true, kvmReason: '/dev/kvm opens read-write' };
  } catch (err) {
    return { kvm: false, kvmReason: `/dev/kvm unusable: ${(err as Error).message}` };
  }
}

async function loopInfo(runDir: string): Promise<Pick<MachineInfo, 'loop' | 'loopReason'>> {
  const img = join(runDir, 'loop-probe.img');
  mkdirSync(runDir, { recursive: true });
  writeFileSync(img, Buffer.alloc(1 << 20));
  try {
    const { stdout } = await run('losetup', ['--find', '--show', img]);
    await run('losetup', ['-d', stdout.trim()]);
    return { loop: true, loopReason: `attached and detached ${stdout.trim()}` };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return { loop: false, loopReason: `losetup failed: ${(e.stderr || e.message).trim()}` };
  } finally {
    rmSync(img, { force: true });
  }
}

function infraEnv(runDir: string): NodeJS.ProcessEnv {
  return { ...process.env, QMPIPE_RUN_DIR: runDir, QMPIPE_LOG_DIR: join(runDir, 'logs'), QMPIPE_QMP_DIR: join(runDir, 'qmp') };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops what earlier runs left behind when their vitest process died before teardown. */
async function reapDeadRuns(base: string): Promise<void> {
  if (!existsSync(base)) return;
  for (const name of readdirSync(base)) {
    if (!/^\d+$/.test(name) || alive(Number(name))) continue;
    const dir = join(base, name);
    await stopLeftovers(infraEnv(dir), dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const t0 = Date.now();
  const base = process.env.QMPIPE_IT_RUN_DIR ?? join(root, '.run', 'it');
  const runDir = join(base, String(process.pid));
  const env = infraEnv(runDir);
  await reapDeadRuns(base);
  await sh('infra/deps.sh', ['jars', 'guest'], env);

  const teardown = async (): Promise<void> => {
    const t = Date.now();
    await stopLeftovers(env, runDir);
    console.log(`[integration] stack and VMs stopped in ${((Date.now() - t) / 1000).toFixed(1)}s`);
  };
  try {
    // allSettled, not all: never leave a half-started stack behind on a failure.
    const results = await Promise.allSettled([sh('infra/stack-up.sh', [], env), sh('infra/qemu/probe-kvm.sh', ['auto'], env), loopInfo(runDir)] as const);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const accelOut = (results[1] as PromiseFulfilledResult<string>).value;
    const loop = (results[2] as PromiseFulfilledResult<Awaited<ReturnType<typeof loopInfo>>>).value;
    const e = parseEnv(readFileSync(join(runDir, 'stack.env'), 'utf8'));
    const stackInfo: StackInfo = {
      kafkaBrokers: e.KAFKA_BROKERS!.split(','),
      s3: {
        endpoint: e.S3_ENDPOINT!,
        region: e.S3_REGION!,
        accessKeyId: e.S3_ACCESS_KEY!,
        secretAccessKey: e.S3_SECRET_KEY!,
        forcePathStyle: true,
      },
      kafkaSecurity: {
        saslSslBrokers: e.KAFKA_SASL_SSL_BROKERS!.split(','),
        sslBrokers: e.KAFKA_SSL_BROKERS!.split(','),
        tlsDir: e.KAFKA_TLS_DIR!,
        caFile: join(e.KAFKA_TLS_DIR!, 'ca.pem'),
        certFile: join(e.KAFKA_TLS_DIR!, 'client.pem'),
        keyFile: join(e.KAFKA_TLS_DIR!, 'client.key'),
        scram: { username: e.KAFKA_SCRAM_USER!, password: e.KAFKA_SCRAM_PASSWORD! },
        plain: { username: e.KAFKA_PLAIN_USER!, password: e.KAFKA_PLAIN_PASSWORD! },
      },
      runDir,
      logDir: env.QMPIPE_LOG_DIR!,
      qmpDir: env.QMPIPE_QMP_DIR!,
      startSeconds: { kafka: Number(e.KAFKA_START_SECONDS), s3: Number(e.S3_START_SECONDS) },
    };
    const machineInfo: MachineInfo = { accel: accelOut.trim() === 'kvm' ? 'kvm' : 'tcg', ...kvmInfo(), ...loop };
    project.provide('qmpipeStack', stackInfo);
    project.provide('qmpipeMachine', machineInfo);
    for (const key of ['KAFKA_BROKERS', 'S3_ENDPOINT', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'S3_REGION', 'S3_FORCE_PATH_STYLE']) {
      process.env[key] = e[key];
    }
    Object.assign(process.env, { QMPIPE_RUN_DIR: runDir, QMPIPE_LOG_DIR: env.QMPIPE_LOG_DIR, QMPIPE_QMP_DIR: env.QMPIPE_QMP_DIR });
    console.log(
      `[integration] stack up in ${((Date.now() - t0) / 1000).toFixed(1)}s: kafka ${stackInfo.kafkaBrokers.join(',')} ` +
        `(${stackInfo.startSeconds.kafka}s), s3proxy ${stackInfo.s3.endpoint} (${stackInfo.startSeconds.s3}s); ` +
        `VMs: ${machineInfo.accel}; kvm: ${machineInfo.kvmReason}; loop: ${machineInfo.loopReason}`,
    );
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
