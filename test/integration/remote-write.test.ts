/**
 * Prometheus remote write against a real Prometheus (Debian's, infra/prometheus/start.sh,
 * --web.enable-remote-write-receiver on loopback). Both shared fixtures, shifted to end a
 * second ago, go through the real processor (Kafka runtime, rates topic on, remote write
 * on); then:
 *  - PromQL equals qmpipe's own outputs: rate(qmpipe_block_write_bytes_total[5s]) within
 *    2 % of qmpipe's rate over the same samples, chain allocation/physical exactly its values;
 *  - every PromQL of the Grafana dashboard (infra/deploy/grafana/qmpipe.json) parses
 *    (promtool check rules) and returns data over the replay;
 *  - `qmpipe top --kafka --once --json` reads the fleet from the rates and alerts topics;
 *  - samples sent again (what a new owner replays) are answered as already there: duplicates;
 *  - Prometheus down for 20 s while a second processor (small queue) takes over and a new
 *    VM's records come in, then back on the same port: what the queue held arrives, the
 *    rest is dropped and counted, and what arrived is the newest, without a hole.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '#common/log.js';
import { ProcessorRuntimeConfig, type ProcessorRuntimeConfigInput } from '#schemas/config/processorRuntime.js';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import type { RawRecord } from '#schemas/types.js';
import { initialState } from '#processor/core/state/state.js';
import { createCore } from '#processor/core/step.js';
import { startProcessor, type RunningProcessor } from '#processor/runtime/main.js';
import { remoteWriteSinkFrom } from '#processor/sinks/remoteWrite/fromConfig.js';
import { RemoteWriteConfig } from '#schemas/config/remoteWrite.js';
import { transcriptRecords } from '#tools/transcript/decoded.js';
import { run as domstats } from '#tools/domstats/command.js';
import { parseDomstats } from '#tools/domstats/domstats.js';
import { run as top } from '#top/command.js';
import type { Frame } from '#top/model/frame.js';
import { fixturePath } from '../support/fixtures.js';
import { stack } from './helpers/index.js';
import { prometheusAvailable, promtoolParse, queryAt, queryRange, rawSamples, startPrometheus, stopPrometheus } from './helpers/prometheus.js';
import { newScenario, produce, sleep, waitCaughtUp, type Scenario } from './processor-support.js';

const root = join(import.meta.dirname, '..', '..');
const avail = prometheusAvailable();
if (!avail.ok) console.warn(`[remote-write] skipped: ${avail.reason}`);

/** A fixture's records as if recorded on `host` and ending `endsAgoMs` before now; optionally as another VM. */
function shifted(name: string, endsAgoMs: number, as?: { uuid: string; name: string }): RawRecord[] {
  const { records } = transcriptRecords(fixturePath('qmp', name), { host: 'it-host' });
  const shift = Date.now() - endsAgoMs - records[records.length - 1]!.t;
  return records.map((r) => ({ ...r, t: r.t + shift, vm: as ? { ...r.vm, uuid: as.uuid, name: as.name } : r.vm }));
}

async function metric(port: number, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `) || (!labels && l.startsWith(`${name} `)));
  return line ? Number(line.split(' ').pop()) : 0;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

function config(sc: Scenario, promUrl: string, remoteWrite: Partial<ProcessorRuntimeConfigInput['remoteWrite']> = {}): ProcessorRuntimeConfig {
  return ProcessorRuntimeConfig.parse({
    ...sc.cfg,
    metrics: { listen: '127.0.0.1:0' },
    remoteWrite: { url: `${promUrl}/api/v1/write`, batchSize: 500, retry: { initialRetryTime: 100, maxRetryTime: 1_000 }, ...remoteWrite },
  });
}

describe.skipIf(!avail.ok)('Prometheus remote write', () => {
  let prom = '';
  let sc: Scenario;
  let proc: RunningProcessor | undefined;
  const thin = shifted('thin-lv-enospc-commit.jsonl', 1_000);
  const kvm = shifted('kvm-vcpu-stats.jsonl', 1_000);
  const span = { start: Math.min(thin[0]!.t, kvm[0]!.t), end: Math.max(thin.at(-1)!.t, kvm.at(-1)!.t) };
  // qmpipe's own outputs for the same records: the reference.
  const ref = createCore(defaultProcessorConfig(), { emitRates: true, emitPoints: true }).step(initialState(), thin).outputs;

  beforeAll(async () => {
    prom = startPrometheus();
    sc = await newScenario('rw', 2, { ratesTopic: `${randomSuffix()}-rates` });
    await produce(sc, [...thin, ...kvm]);
    proc = await startProcessor(config(sc, prom), silentLogger);
    await waitCaughtUp(sc);
    const lastT = thin.filter((r) => r.body.kind === 'Sample').at(-1)!.t;
    await until('the last write counter sample in Prometheus', async () => {
      const r = await rawSamples(prom, 'qmpipe_block_write_bytes_total{vm="cap-thin"}', span.end + 1, 600_000);
      return r[0]?.values?.some(([t]) => Math.round(t * 1000) === lastT) ? true : undefined;
    });
  }, 240_000);

  afterAll(async () => {
    await proc?.stop();
    stopPrometheus();
  });

  it('rate(qmpipe_block_write_bytes_total[5s]) is within 2 % of qmpipe’s rate over the same samples', async () => {
    const pts = ref.points.filter((p) => p.series === 'block.vda.wr.bytes');
    const rates = new Map(ref.rates.filter((r) => r.series === 'block.vda.wr.bytes').map((r) => [r.t, r.value]));
    let compared = 0;
    let skipped = 0;
    for (let i = 5; i < pts.length; i++) {
      const t = pts[i]!.t;
      const inWindow = pts.filter((p) => p.t >= t - 5_000 && p.t <= t);
      // qmpipe's mean rate over the window's sampled interval: its per-interval rates weighted by their Δt.
      let sum = 0;
      let dt = 0;
      for (let j = 1; j < inWindow.length; j++) {
        const r = rates.get(inWindow[j]!.t);
        if (r === undefined) continue;
        sum += r * (inWindow[j]!.t - inWindow[j - 1]!.t);
        dt += inWindow[j]!.t - inWindow[j - 1]!.t;
      }
      if (dt === 0) continue;
      // Prometheus never extrapolates a counter below zero: where the window's first value is
      // closer to 0 than the extrapolation to the window's start would reach (the guest's first
      // writes), rate() reads lower on purpose. qmpipe has no such rule; those windows are skipped.
      const first = inWindow[0]!;
      const delta = inWindow.at(-1)!.value - first.value;
      const sampled = inWindow.at(-1)!.t - first.t;
      if (delta > 0 && (sampled * first.value) / delta < first.t - (t - 5_000)) {
        skipped++;
        continue;
      }
      const want = sum / dt;
      const got = Number((await queryAt(prom, 'rate(qmpipe_block_write_bytes_total{vm="cap-thin",device="vda"}[5s])', t))[0]!.value![1]);
      expect(Math.abs(got - want), `t=${t} PromQL ${got} qmpipe ${want}`).toBeLessThanOrEqual(0.02 * Math.max(want, 64 * 1024));
      compared++;
    }
    console.log(`[remote-write] rate(...[5s]) compared at ${compared} sample times (${skipped} skipped: no extrapolation below zero)`);
    expect(compared).toBeGreaterThan(25);
    expect(skipped).toBeLessThanOrEqual(4); // the first writes only
  });

  it('chain allocation, capacity and physical are exactly qmpipe’s values, per element and node', async () => {
    for (const field of ['allocation', 'capacity', 'physical']) {
      const got = await rawSamples(prom, `qmpipe_chain_${field}_bytes{vm="cap-thin"}`, span.end + 1, 600_000);
      const byKey = new Map(got.map((s) => [`${s.metric.backing_index} ${s.metric.node}`, s.values!.map(([t, v]) => [Math.round(t * 1000), Number(v)])]));
      const want = new Map<string, number[][]>();
      for (const p of ref.points.filter((x) => new RegExp(`^block\\.vda\\.\\d+\\.${field}$`).test(x.series))) {
        const key = `${p.series.split('.')[2]} ${p.node}`;
        (want.get(key) ?? want.set(key, []).get(key)!).push([p.t, p.value]);
      }
      expect(want.size).toBe(3);
      expect(Object.fromEntries(byKey)).toEqual(Object.fromEntries(want));
    }
  });

  it('every PromQL of the Grafana dashboard parses (promtool) and returns data', async () => {
    const dash = JSON.parse(readFileSync(join(root, 'infra/deploy/grafana/qmpipe.json'), 'utf8')) as {
      panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
      annotations: { list: Array<{ name: string; expr?: string }> };
      templating: { list: Array<{ name: string; definition?: string }> };
    };
    const exprs = [
      ...dash.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr }))),
      ...dash.annotations.list.filter((a) => a.expr).map((a) => ({ where: `annotation ${a.name}`, expr: a.expr! })),
    ].map((e) => ({ ...e, expr: e.expr.replaceAll('$__rate_interval', '10s').replaceAll('$host', '.*').replaceAll('$vm', '.*') }));
    expect(exprs.length).toBeGreaterThanOrEqual(15);
    expect(promtoolParse(exprs.map((e) => e.expr))).toBe('');
    const empty: string[] = [];
    for (const e of exprs) {
      const r = await queryRange(prom, e.expr, span.start, span.end, 2);
      if (!r.some((s) => (s.values ?? []).length > 0)) empty.push(`${e.where}: ${e.expr}`);
    }
    expect(empty).toEqual([]);
    // The template variables' label_values() queries: their series have hosts and VMs.
    const hosts = await queryAt(prom, 'count by (host, vm) (qmpipe_chain_capacity_bytes)', span.end);
    expect(hosts.map((h) => `${h.metric.host} ${h.metric.vm}`).sort()).toEqual(['it-host cap-kvm', 'it-host cap-thin']);
  });

  it('qmpipe top --kafka --once --json shows the fleet from the rates and alerts topics', async () => {
    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
      out += String(s);
      return true;
    });
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let code: number;
    try {
      const k = sc.cfg.kafka;
      code = await top([
        '--kafka',
        '--brokers',
        stack().kafkaBrokers.join(','),
        '--rates-topic',
        String(k.ratesTopic),
        '--alerts-topic',
        String(k.alertsTopic),
        '--once',
        '--json',
      ]);
      const frame = JSON.parse(out) as Frame;
      out = '';
      await domstats([fixturePath('qmp', 'thin-lv-enospc-commit.jsonl'), '--backing']);
      const kv = parseDomstats(out);
      expect(code).toBe(0);
      expect(frame.vms.map((v) => `${v.host} ${v.vm}`).sort()).toEqual(['it-host cap-kvm', 'it-host cap-thin']);
      const vm = frame.vms.find((v) => v.vm === 'cap-thin')!;
      const chain = vm.disks.flatMap((d) => d.chain.map((e) => [d.device, e.backingIndex, e.allocation, e.capacity, e.physical]));
      const want = [0, 1].map((i) => [
        'vda',
        Number(kv[`block.${i}.backingIndex`]),
        Number(kv[`block.${i}.allocation`]),
        Number(kv[`block.${i}.capacity`]),
        Number(kv[`block.${i}.physical`]),
      ]);
      expect(chain).toEqual(want);
      expect(vm.firing.map((f) => f.type).sort()).toEqual(['threshold-crossed', 'time-to-full', 'watermark']);
    } finally {
      spy.mockRestore();
      err.mockRestore();
    }
  });

  it('samples sent again (a new owner replaying a committed batch): Prometheus has them, counted as duplicate, nothing rejected', async () => {
    const sink = remoteWriteSinkFrom(RemoteWriteConfig.parse({ url: `${prom}/api/v1/write` }), {})!;
    sink.offer(ref, null);
    expect(await sink.flush(10_000)).toBe(true);
    await sink.stop(1_000);
    console.log(`[remote-write] re-sent: ${JSON.stringify(sink.stats)}`);
    expect(sink.stats.duplicate).toBeGreaterThan(0);
    expect(sink.stats.rejected).toBe(0);
    expect(sink.stats.dropped).toBe(0);
  });

  it('Prometheus down for 20 s: a new owner with a small queue: no hole beyond the queue bound, drops counted', async () => {
    await proc!.stop(); // clean stop: a final checkpoint; the next processor takes the partitions over
    proc = await startProcessor(config(sc, prom, { maxQueueSamples: 400, batchSize: 100 }), silentLogger);
    const port = Number(new URL(prom).port);
    stopPrometheus(true);
    const t0 = Date.now();
    const second = shifted('thin-lv-enospc-commit.jsonl', 0, { uuid: 'name:cap-thin-2', name: 'cap-thin-2' });
    await produce(sc, second);
    await waitCaughtUp(sc);
    const metricsPort = proc.metricsPort!;
    const dropped = await until('drops while Prometheus is down', async () => {
      const d = await metric(metricsPort, 'processor_remote_write_samples_total', 'result="dropped"');
      return d > 0 ? d : undefined;
    });
    await sleep(Math.max(0, 20_000 - (Date.now() - t0)));
    startPrometheus(port);
    await until('the queue to drain', async () =>
      (await metric(metricsPort, 'processor_remote_write_queue_samples')) === 0 &&
      (await metric(metricsPort, 'processor_remote_write_samples_total', 'result="sent"')) > 0
        ? true
        : undefined,
    );
    await sleep(1_000);
    const sent = await metric(metricsPort, 'processor_remote_write_samples_total', 'result="sent"');
    expect(await metric(metricsPort, 'processor_remote_write_samples_total', 'result="rejected"')).toBe(0);
    expect(sent).toBeGreaterThanOrEqual(400); // the queue's worth (and what was in flight) arrived
    const endT = second.at(-1)!.t + 1;
    // What Prometheus holds of the new VM: the newest samples, ending at the last one, without a hole.
    const want = second.filter((r) => r.body.kind === 'Sample').map((r) => r.t);
    const got = (await rawSamples(prom, 'qmpipe_block_write_bytes_total{vm="cap-thin-2"}', endT, 600_000))[0]?.values?.map(([t]) => Math.round(t * 1000)) ?? [];
    expect(got.length).toBeGreaterThan(0);
    expect(got).toEqual(want.slice(want.length - got.length));
    expect(want.length - got.length).toBeLessThanOrEqual(dropped);
    const held = (await rawSamples(prom, '{vm="cap-thin-2"}', endT, 600_000)).reduce((n, s) => n + (s.values?.length ?? 0), 0);
    console.log(`[remote-write] outage: sent ${sent}, dropped ${dropped}, write-counter samples ${got.length}/${want.length}, VM samples held ${held}`);
    expect(held).toBeGreaterThanOrEqual(400);
  }, 180_000);
});

function randomSuffix(): string {
  return `rw-${Math.random().toString(36).slice(2, 10)}`;
}
