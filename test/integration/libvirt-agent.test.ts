/**
 * The agent on a stock libvirt host, against the real libvirtd and transient domains
 * whose XML has no qemu:commandline (infra/libvirt/start-domain.sh): nothing about a
 * domain is changed for the agent.
 *
 * - `qmpipe domstats --libvirt … --backing` equals `virsh domstats --block --backing` on a
 *   two-image chain (after a disk-only snapshot), but for backingIndex (our depth vs
 *   libvirt's image id).
 * - The thin-LV story in both modes, through the real broker and the processor core: the
 *   guest fills a qcow2 on a loop device (error_policy='enospace'); the test grows the device
 *   and resumes the domain with virsh, takes a disk-only snapshot and runs an active
 *   `virsh blockcommit`. The alerts a raw socket gives: watermark before the pause,
 *   paused-enospc firing then resolved, commit-growth on the base (backingIndex 1).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until as pollUntil } from './helpers/until.js';
import { packageRoot } from '#common/paths.js';
import { startAgent } from '#agent/main.js';
import { createCore } from '#processor/core/step.js';
import { initialState } from '#processor/core/state/state.js';
import { loadAgentConfig } from '#schemas/config/agent.js';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import type { Alert } from '#schemas/outputs.js';
import type { RawRecord } from '#schemas/types.js';
import { agentConfig, readRaw } from './agent-support.js';
import {
  libvirtUnavailable,
  parseDomstats,
  startLibvirtd,
  startTestDomain,
  stopLibvirtd,
  virsh,
  type LibvirtDaemon,
  type TestDomain,
} from './libvirt-support.js';

const run = promisify(execFile);
const unavailable = libvirtUnavailable();
if (unavailable) console.log(`[libvirt-agent] skipped: ${unavailable}`);

let daemon: LibvirtDaemon;
const domains: TestDomain[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'it-lv-agent-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const until = async (what: string, ms: number, probe: () => Promise<boolean>): Promise<void> => void (await pollUntil(what, probe, ms));

async function domain(args: string[]): Promise<TestDomain> {
  const d = await startTestDomain(args);
  domains.push(d);
  return d;
}

/**
 * Whether each connection of this process to libvirtd is read-only, from the daemon's own
 * client list (its admin interface, virt-admin): the agent runs in this process.
 */
async function ourConnectionsReadOnly(): Promise<boolean[]> {
  const admin = (...args: string[]) => run('virt-admin', ['-c', 'libvirtd:///system', ...args]).then((r) => r.stdout);
  const ids = [...(await admin('client-list', 'libvirtd')).matchAll(/^\s*(\d+)\s+unix\b/gm)].map((m) => m[1]!);
  const readOnly: boolean[] = [];
  for (const id of ids) {
    const info = await admin('client-info', 'libvirtd', id).catch(() => ''); // gone meanwhile
    if (new RegExp(`^unix_process_id\\s*:\\s*${process.pid}\\s*$`, 'm').test(info)) readOnly.push(/^readonly\s*:\s*yes\s*$/m.test(info));
  }
  return readOnly;
}

function snapshot(name: string, file: string): Promise<string> {
  return virsh('snapshot-create-as', name, '--disk-only', '--no-metadata', '--atomic', '--diskspec', `vda,file=${file}`);
}

describe.skipIf(unavailable !== null)('the agent on a stock libvirt host (no domain touched)', () => {
  beforeAll(async () => {
    daemon = await startLibvirtd();
  });

  afterAll(async () => {
    for (const d of domains) await d.stop().catch(() => {});
    if (daemon?.owned) await stopLibvirtd();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('qmpipe domstats --libvirt --backing equals virsh domstats --block --backing on a two-image chain', async () => {
    const d = await domain(['--accel', 'tcg', '--no-boot-wait', '--no-interface']);
    expect(d.domainXml).not.toContain('qemu:commandline');
    await snapshot(d.name, join(tmp, `${d.name}-top.qcow2`));
    const ours = parseDomstats(
      (await run(process.execPath, [join(packageRoot(), 'bin', 'qmpipe.mjs'), 'domstats', '--libvirt', daemon.uri, '--domain', d.name, '--backing'])).stdout,
    );
    const theirs = parseDomstats(await virsh('domstats', '--block', '--backing', d.name));
    expect(ours.get('block.count')).toBe('2');
    expect(ours.get('block.count')).toBe(theirs.get('block.count'));
    for (const i of [0, 1]) {
      for (const f of ['name', 'path', 'capacity', 'physical', 'allocation'])
        expect(ours.get(`block.${i}.${f}`), `block.${i}.${f}`).toBe(theirs.get(`block.${i}.${f}`));
      expect(ours.get(`block.${i}.backingIndex`)).toBe(String(i)); // depth; libvirt: its image id
    }
    expect(theirs.get('block.0.backingIndex')).not.toBe(ours.get('block.0.backingIndex'));
    console.log(
      `[libvirt-agent] domstats: ${[...ours]
        .filter(([k]) => /^block\.\d\.(name|path|physical|allocation)$/.test(k))
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
  });

  it.each(['qmp', 'stats'] as const)(
    'the thin-LV story in %s mode: watermark before the pause, paused-enospc then resolved, commit-growth on the base',
    async (mode) => {
      // 8 MiB/s for 20 s into a 256 MiB qcow2 on a 64 MiB loop device: ENOSPC at ~60 MiB.
      const d = await domain(['--accel', 'tcg', '--rate', '8', '--seconds', '20', '--delay', '3', '--backing-mib', '64', '--no-interface']);
      const base = agentConfig({ fastIntervalMs: 500 });
      const cfg = loadAgentConfig({
        raw: { ...structuredClone(base), libvirt: { uri: daemon.uri, socket: daemon.socketPath, mode, domains: [d.name], rescanIntervalMs: 2000 } },
      });
      const agent = await startAgent(cfg);
      let lastTick = 0;
      try {
        await until('the ENOSPC pause', 120_000, async () => (await virsh('domstate', '--reason', d.name)).includes('I/O error'));
        // stats only reads: its one connection is read-only (libvirt-sock-ro); qmp passes commands through, read-write.
        expect(await ourConnectionsReadOnly()).toEqual([mode === 'stats']);
        await sleep(1500); // the paused state is sampled
        await run('bash', ['-c', `truncate -s 256M '${d.backingFile}' && losetup -c '${d.loop}'`]);
        await virsh('resume', d.name);
        await sleep(1000);
        await snapshot(d.name, join(tmp, `${d.name}-top.qcow2`));
        await virsh('blockcommit', d.name, 'vda', '--active', '--bandwidth', '4');
        await sleep(8000);
        await virsh('blockjob', d.name, 'vda', '--abort').catch(() => '');
        await sleep(1500);
        lastTick = Date.now() - 1000;
      } finally {
        await agent.stop();
      }
      // Everything the agent published, up to its samples of the last second.
      const records = await readRaw(cfg.kafka.rawTopic, (rs) => rs.some((r) => r.body.kind === 'Sample' && r.t >= lastTick));
      const alerts = alertsOf(records);
      const at = (type: string, state: string, backingIndex?: number) =>
        alerts.find((a) => a.type === type && a.state === state && (backingIndex === undefined || a.labels.backingIndex === backingIndex))?.t;
      const lines = alerts.map((a) => `${a.type}:${a.state}@${a.labels.device}[${a.labels.backingIndex}]`);
      console.log(`[libvirt-agent] ${mode}: ${records.length} records; alerts ${lines.join(', ')}`);
      const watermark = at('watermark', 'firing', 0);
      const paused = at('paused-enospc', 'firing');
      expect(watermark, 'watermark fired on the top image').toBeDefined();
      expect(paused, 'paused-enospc fired').toBeDefined();
      expect(watermark!).toBeLessThanOrEqual(paused!);
      expect(at('paused-enospc', 'resolved')).toBeGreaterThan(paused!);
      expect(at('commit-growth', 'firing', 1), 'commit-growth on the base').toBeDefined();
      expect(alerts.every((a) => a.labels.device === 'vda')).toBe(true); // disks named by target, as libvirt names them
      const seqs = records.map((r) => r.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i)); // nothing lost or duplicated
    },
  );

  it.for(['qmp', 'stats'] as const)(
    'a libvirtd restart mid-run (%s mode): samples resume, nothing lost or duplicated, the same instance id',
    async (mode, ctx) => {
      if (!daemon.owned) {
        console.log('[libvirt-agent] skipped the restart test: libvirtd was already running before this run, so it is not ours to restart');
        ctx.skip();
      }
      const d = await domain(['--accel', 'tcg', '--no-boot-wait', '--no-interface']);
      const cfg = loadAgentConfig({
        raw: {
          ...structuredClone(agentConfig({ fastIntervalMs: 500, qmp: { reconnect: { initialRetryTime: 200, maxRetryTime: 1000 } } })),
          libvirt: { uri: daemon.uri, socket: daemon.socketPath, mode, domains: [d.name], rescanIntervalMs: 1000 },
        },
      });
      const agent = await startAgent(cfg);
      let restartedAt = 0;
      let lastTick = 0;
      try {
        await sleep(3000);
        await stopLibvirtd(true);
        daemon = await startLibvirtd();
        restartedAt = Date.now();
        await sleep(5000);
        lastTick = Date.now() - 1000;
      } finally {
        await agent.stop();
      }
      const records = await readRaw(cfg.kafka.rawTopic, (rs) => rs.some((r) => r.body.kind === 'Sample' && r.t >= lastTick));
      const samples = records.filter((r) => r.body.kind === 'Sample');
      const seqs = records.map((r) => r.seq).sort((a, b) => a - b);
      console.log(
        `[libvirt-agent] ${mode} restart: ${samples.length} samples, ${samples.filter((r) => r.t > restartedAt).length} after the restart; instance ids ${[...new Set(records.map((r) => r.vm.instanceId))].join(', ')}`,
      );
      expect(seqs).toEqual(seqs.map((_, i) => i));
      expect(samples.filter((r) => r.t > restartedAt).length).toBeGreaterThan(3);
      expect(new Set(records.map((r) => r.vm.instanceId)).size).toBe(1);
    },
  );

  it('KVM stats: histograms and their schema in qmp mode; in stats mode the scalars, no histograms, and a notice saying so', async (ctx) => {
    if (!existsSync('/dev/kvm')) {
      console.log('[libvirt-agent] skipped the KVM stats test: no /dev/kvm on this machine');
      ctx.skip();
    }
    const d = await domain(['--accel', 'kvm', '--no-boot-wait', '--no-interface']);
    const byMode: Record<string, RawRecord[]> = {};
    for (const mode of ['qmp', 'stats'] as const) {
      const cfg = loadAgentConfig({
        raw: { ...structuredClone(agentConfig({ fastIntervalMs: 500 })), libvirt: { uri: daemon.uri, socket: daemon.socketPath, mode, domains: [d.name] } },
      });
      const agent = await startAgent(cfg);
      await sleep(3000);
      const lastTick = Date.now() - 1000;
      await agent.stop();
      byMode[mode] = await readRaw(cfg.kafka.rawTopic, (rs) => rs.some((r) => r.body.kind === 'Sample' && r.t >= lastTick));
    }
    const types = (rs: RawRecord[]) =>
      new Set(rs.flatMap((r) => (r.body.kind === 'StatsSchemaSnapshot' ? r.body.value.schemas.flatMap((s) => s.stats.map((x) => x.type)) : [])));
    const notices = (rs: RawRecord[]) => rs.flatMap((r) => (r.body.kind === 'AgentNotice' ? [r.body.value.kind] : []));
    expect(types(byMode.qmp!).has('log2-histogram')).toBe(true);
    expect(types(byMode.stats!).has('log2-histogram')).toBe(false);
    expect(types(byMode.stats!).has('cumulative')).toBe(true);
    expect(notices(byMode.stats!)).toContain('degraded');
    const rates = (rs: RawRecord[]) => {
      const core = createCore(defaultProcessorConfig(), { emitRates: true });
      return new Set(
        core
          .step(
            initialState(),
            rs.sort((a, b) => a.seq - b.seq),
          )
          .outputs.rates.map((r) => r.series),
      );
    };
    const q = rates(byMode.qmp!);
    const st = rates(byMode.stats!);
    expect(q.has('vcpu.0.exits')).toBe(true);
    expect(st.has('vcpu.0.exits')).toBe(true); // the same series name in both modes
    console.log(`[libvirt-agent] KVM series: qmp ${q.size}, stats ${st.size}; stats-mode snapshot types ${[...types(byMode.stats!)].join(',')}`);
  });
});

/** The processor core over the records, as the processor would consume them. */
function alertsOf(records: RawRecord[]): Alert[] {
  const core = createCore(defaultProcessorConfig());
  const state = initialState();
  const sorted = [...records].sort((a, b) => a.seq - b.seq);
  return [...core.step(state, sorted).outputs.alerts];
}
