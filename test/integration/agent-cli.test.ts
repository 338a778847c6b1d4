/**
 * `qmpipe agent --config FILE` as an operator runs it (the compiled CLI, a real test VM
 * and the real broker): it samples, logs structured JSON (events, not one line per
 * sample), and on SIGTERM drains every record to Kafka before exiting 0.
 * Needs the build (`npm run build`, a stage of `npm test` and CI).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '#common/paths.js';
import { randomName, stack, startTestVm, type TestVm } from './helpers/index.js';
import { readRaw, seqReport } from './agent-support.js';

const cli = join(packageRoot(), 'bin', 'qmpipe.mjs');
const built = existsSync(join(packageRoot(), 'dist', 'agent', 'src', 'command.js'));
let vm: TestVm;
const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'it-cli-'));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  vm = await startTestVm({ noBootWait: true, seconds: 0 });
});
afterAll(async () => {
  await vm?.stop();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

describe('qmpipe agent (CLI)', () => {
  it('rejects a bad config with exit code 2 and the zod path', async () => {
    expect(built, 'dist/ is missing: run npm run build').toBe(true);
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ kafka: { brokers: ['x:1'], lingerMs: -1 } }));
    const child = spawn(process.execPath, [cli, 'agent', '--config', join(dir, 'bad.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(2);
    expect(err).toContain('kafka.lingerMs');
  });

  it('samples, then drains everything on SIGTERM and exits 0', async () => {
    expect(built, 'dist/ is missing: run npm run build').toBe(true);
    const dir = tempDir();
    const rawTopic = randomName('it-raw');
    const cfgPath = join(dir, 'agent.json');
    writeFileSync(
      cfgPath,
      JSON.stringify({
        host: 'it-cli',
        vms: { globs: [join(stack().qmpDir, `${vm.name}.qmp`)] },
        sampling: { fastIntervalMs: 500 },
        kafka: { brokers: ['127.0.0.1:1'], rawTopic, schemaTopic: randomName('it-schemas'), createTopics: 'on', replicationFactor: 1, partitions: 2 },
        spool: { dir: join(dir, 'spool') },
        metrics: { listen: 'off' },
      }),
    );
    // Brokers come from the environment override, as secrets would.
    const child = spawn(process.execPath, [cli, 'agent', '--config', cfgPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, QMPIPE_KAFKA_BROKERS: stack().kafkaBrokers.join(','), QMPIPE_LOG_LEVEL: 'info' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    await readRaw(rawTopic, (rs) => rs.filter((r) => r.body.kind === 'Sample').length >= 20, 60_000);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const logs = stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; left?: number; published?: number; level: string });
    const stopped = logs.find((l) => l.msg === 'agent stopped')!;
    expect(stopped.left).toBe(0);
    const rs = await readRaw(rawTopic, (rs) => rs.length >= stopped.published!, 30_000);
    expect(rs).toHaveLength(stopped.published!);
    const report = seqReport(rs, vm.uuid);
    expect(report).toMatchObject({ duplicates: 0, missing: 0 });
    const samples = rs.filter((r) => r.body.kind === 'Sample').length;
    expect(samples).toBeGreaterThanOrEqual(20);
    console.log(`[agent-cli] ${samples} samples, ${logs.length} log lines: ${logs.map((l) => l.msg).join(' | ')}`);
    expect(logs.length).toBeLessThan(samples); // never one log line per sample
    expect(logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['agent started', 'watching VM', 'VM connected', 'stopping', 'agent stopped']));
  });
});
