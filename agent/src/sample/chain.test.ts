import { describe, expect, it } from 'vitest';
import type { ChainElement } from '#schemas/types.js';
import { fixtureTicks } from '#test/support/fixtures.js';
import { walkChain, type ChainContext } from './chain.js';
import { isObject, type JsonObject } from './json.js';
import { parseNamedNodes } from './nodes.js';
import { buildAll } from '#test/support/sample.js';

const ticks = fixtureTicks('qmp', 'thin-lv-enospc-commit.jsonl');
const { samples } = buildAll(ticks);
const chains = samples.map((s) => s.blockDevices[0]!.chain);
const brief = (c: ChainElement) => `${c.backingIndex}:${c.formatNode}/${c.storageNode}`;

const SNAPSHOT = 23; // first tick after blockdev-snapshot (0-based)
const COMMIT = 31; // first tick after block-commit
const GROWN = 19; // first tick after the device grew 96 → 160 MiB
const GROWN_SIZE = 167772160;

/** The node-mode query-blockstats reply of a tick: node-name → its own wr_highest_offset. */
function nodeWatermarks(i: number): Map<string, number> {
  const reply = ticks[i]!.replies['query-blockstats:nodes'];
  const entries = (Array.isArray(reply) ? reply : []).filter(isObject);
  return new Map(entries.map((e) => [String(e['node-name']), Number((e['stats'] as JsonObject)['wr_highest_offset'])]));
}

describe('backing chain of thin-lv-enospc-commit.jsonl', () => {
  it('is one qcow2 image on a host_device until the snapshot', () => {
    expect(chains.slice(0, SNAPSHOT).every((c) => c.length === 1 && brief(c[0]!) === '0:lv0-format/lv0-storage')).toBe(true);
    expect(chains[0]![0]).toMatchObject({ formatDriver: 'qcow2', storageDriver: 'host_device', filename: '/dev/loop2', capacity: 268435456 });
  });

  it('takes physical from the host device length, not the lagging storage virtual-size', () => {
    const before = chains.slice(0, GROWN).map((c) => c[0]!);
    expect(new Set(before.map((e) => `${e.physical} ${e.physicalSource}`))).toEqual(new Set(['100663296 HOST_DEVICE_SIZE']));
    const after = chains[GROWN]![0]!;
    expect(after).toMatchObject({ physical: GROWN_SIZE, physicalSource: 'HOST_DEVICE_SIZE', storageVirtualSize: 100990976 });
    expect(chains.slice(GROWN).every((c) => c.at(-1)!.physical === GROWN_SIZE)).toBe(true);
  });

  it('adds the file top layer at depth 0 after the snapshot, with physical = actual-size', () => {
    const c = chains[SNAPSHOT]!;
    expect(c.map(brief)).toEqual(['0:top-format/top-storage', '1:lv0-format/lv0-storage']);
    expect(c[0]).toMatchObject({
      storageDriver: 'file',
      filename: '/var/lib/qmpipe-test/top.qcow2',
      physical: 8658944,
      physicalSource: 'ACTUAL_SIZE',
      actualSize: 8658944,
    });
    expect(c[1]).toMatchObject({ storageDriver: 'host_device', physical: GROWN_SIZE, physicalSource: 'HOST_DEVICE_SIZE' });
  });

  it('measures a file image on the host each tick when it can (host file-allocation), and names it by its path, not a json: pseudo-filename', () => {
    const tick = ticks[SNAPSHOT]!;
    const named = parseNamedNodes(tick.replies['query-named-block-nodes'])!;
    const top = named.get('top-format')!;
    // What QEMU reports for an overlay whose backing was set by blockdev-snapshot on some hosts.
    const pseudo = `json:{"backing": {"driver": "qcow2"}, "driver": "qcow2", "file": {"driver": "file", "filename": "${top.image.filename}"}}`;
    named.set('top-format', { ...top, image: { ...top.image, filename: pseudo } });
    const entry = (tick.replies['query-blockstats'] as JsonObject[])[0]!;
    const ctx: ChainContext = { named, watermarks: nodeWatermarks(SNAPSHOT), images: [], blockdevSizes: tick.host.blockdevSizes };
    const withoutStat = walkChain(entry, ctx)[0]!;
    expect(withoutStat).toMatchObject({ filename: '/var/lib/qmpipe-test/top.qcow2', physical: 8658944, physicalSource: 'ACTUAL_SIZE' });
    const measured = walkChain(entry, { ...ctx, fileAllocations: { '/var/lib/qmpipe-test/top.qcow2': 9_000_000 } })[0]!;
    expect(measured).toMatchObject({ physical: 9_000_000, physicalSource: 'ACTUAL_SIZE', actualSize: 8658944 });
  });

  it('is [top (0), lv0 (1)] during the block-commit: the #block mirror_top filter is skipped', () => {
    const raw = JSON.stringify(ticks[COMMIT]!.replies['query-named-block-nodes']);
    expect(raw).toContain('"node-name":"#block060"');
    expect(raw).toContain('"drv":"mirror_top"');
    for (const c of chains.slice(COMMIT)) {
      expect(c.map(brief)).toEqual(['0:top-format/top-storage', '1:lv0-format/lv0-storage']);
      expect(c[0]!.physicalSource).toBe('ACTUAL_SIZE');
      expect(c[0]!.physical).toBe(c[0]!.actualSize);
    }
    expect(samples[COMMIT]!.jobs).toEqual([expect.objectContaining({ id: 'commit0', type: 'commit', status: 'running' })]);
  });

  it('reports allocation = the storage node’s wr_highest_offset, every tick, every image', () => {
    let checked = 0;
    chains.forEach((c, i) => {
      const marks = nodeWatermarks(i);
      if (marks.size === 0) return; // the last tick did not ask query-blockstats:nodes
      checked++;
      for (const e of c) {
        expect(e.allocationValid).toBe(true);
        expect(e.allocation).toBe(marks.get(e.storageNode!));
      }
    });
    expect(checked).toBe(40);
    expect(chains.at(-1)!.map((e) => e.allocation)).toEqual([109379584, 173342720]); // from device-mode parent.stats alone
  });

  it('sees the base’s allocation grow while the commit copies into it', () => {
    const base = chains.slice(COMMIT).map((c) => c[1]!.allocation);
    expect(base[0]).toBe(142934016);
    expect(base.at(-1)).toBe(173342720); // past the 160 MiB device: the failed writes still raised it
    expect(base).toEqual([...base].sort((a, b) => a - b));
    expect(chains[COMMIT - 1]![1]!.allocation).toBe(126156800);
  });

  it('shows the write threshold armed on lv0-storage until BLOCK_WRITE_THRESHOLD consumes it', () => {
    const thresholds = chains.map((c) => c.at(-1)!.writeThreshold);
    expect(thresholds.slice(0, SNAPSHOT).every((t) => t === 0)).toBe(true);
    const armed = thresholds.indexOf(159383552);
    expect(armed).toBe(SNAPSHOT);
    const cleared = thresholds.findIndex((t, i) => i > armed && t === 0);
    expect(samples[cleared]!.blockDevices[0]!.chain[1]!.allocation).toBeGreaterThan(159383552);
    expect(chains.every((c) => c[0]!.writeThreshold === 0 || c.length === 1)).toBe(true);
  });

  it('keeps the device counters and io-status', () => {
    const wr = samples.map((s) => s.blockDevices[0]!.counters.wrBytes);
    expect(wr).toEqual([...wr].sort((a, b) => a - b));
    expect(wr[0]).toBe(0);
    expect(wr.at(-1)).toBe(234881024);
    const paused = samples.findIndex((s) => s.status === 'io-error');
    expect(paused).toBe(18);
    expect(samples[paused]!.blockDevices[0]).toMatchObject({ dev: 'vda', device: '', nodeName: 'lv0-format', ioStatus: 'nospace' });
    expect(samples[paused]!.blockDevices[0]!.counters.failedWrOps).toBe(0); // enospc stops, it does not fail the request
    expect(samples.slice(0, paused).every((s) => s.blockDevices[0]!.ioStatus === 'ok')).toBe(true);
  });
});

describe('walkChain (synthetic replies)', () => {
  const node = (name: string, extra: JsonObject = {}): JsonObject => ({ 'node-name': name, stats: { wr_highest_offset: 0 }, ...extra });
  const named = (list: JsonObject[]) => parseNamedNodes(list)!;
  const ctx = (over: Partial<ChainContext> = {}): ChainContext => ({ named: new Map(), watermarks: new Map(), images: [], blockdevSizes: {}, ...over });

  it('skips a commit_top filter in the middle of the chain and walks into its filtered child', () => {
    const base = node('base-fmt', { parent: node('base-sto', { stats: { wr_highest_offset: 7 } }) });
    const mid = node('mid-fmt', { parent: node('mid-sto'), backing: base });
    const top = node('top-fmt', { parent: node('top-sto'), backing: node('#block123', { parent: mid }) });
    const c = ctx({
      named: named([
        { 'node-name': '#block123', drv: 'commit_top' },
        { 'node-name': 'base-sto', drv: 'host_device', image: { filename: '/dev/vg/base' } },
      ]),
      blockdevSizes: { '/dev/vg/base': 1024 },
    });
    const chain = walkChain(top, c);
    expect(chain.map((e) => `${e.backingIndex}:${e.formatNode}`)).toEqual(['0:top-fmt', '1:mid-fmt', '2:base-fmt']);
    expect(chain[2]).toMatchObject({ allocation: 7, storageDriver: 'host_device', physical: 1024, physicalSource: 'HOST_DEVICE_SIZE' });
  });

  it('without slow data, skips a #block filter over a format node but keeps legacy -drive #block images', () => {
    const filter = node('#block9', { parent: node('fmt', { parent: node('sto') }) });
    expect(walkChain(filter, ctx()).map((e) => e.formatNode)).toEqual(['fmt']);
    const legacy = node('#block140', { parent: node('#block012') });
    expect(walkChain(legacy, ctx()).map((e) => `${e.formatNode}/${e.storageNode}`)).toEqual(['#block140/#block012']);
  });

  it('finds the storage node by filename when there is no parent, with allocation from node mode', () => {
    const nodes = named([
      { 'node-name': 'f', drv: 'qcow2', file: '/img.qcow2', image: { filename: '/img.qcow2', 'virtual-size': 100, 'actual-size': 0 } },
      { 'node-name': 's', drv: 'file', file: '/img.qcow2', write_threshold: 50, image: { filename: '/img.qcow2', 'virtual-size': 40 } },
    ]);
    const [noMark] = walkChain(node('f'), ctx({ named: nodes }));
    expect(noMark).toMatchObject({
      storageNode: 's',
      storageDriver: 'file',
      allocation: 0,
      allocationValid: false,
      physical: 100,
      physicalSource: 'CAPACITY',
      writeThreshold: 50,
    });
    const [marked] = walkChain(node('f'), ctx({ named: nodes, watermarks: new Map([['s', 33]]) }));
    expect(marked).toMatchObject({ allocation: 33, allocationValid: true });
  });

  it('leaves physical unknown for a block device the host did not measure', () => {
    const top = node('f', { parent: node('s', { 'driver-specific': { driver: 'host_device' } }) });
    const [e] = walkChain(top, ctx({ images: [{ filename: '/dev/x', format: 'qcow2', virtualSize: 9, actualSize: 0 }] }));
    expect(e).toMatchObject({ storageDriver: 'host_device', formatDriver: 'qcow2', capacity: 9, physical: null, physicalSource: 'UNKNOWN' });
  });

  it('stops on a cyclic reply', () => {
    const a: JsonObject = node('a');
    a['backing'] = a;
    expect(walkChain(a, ctx()).length).toBeLessThanOrEqual(128);
  });
});
