/** `qmpipe replay` and `qmpipe domstats` as users call them: output contract, bad input, malformed lines. */
import { captureStdio } from '#test/support/captureStdio.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '#common/paths.js';
import { fixturePath } from '../support/fixtures.js';
import { run as domstats } from '#tools/domstats/command.js';
import { run as replay } from '#tools/replay/command.js';
import { run as top } from '#top/command.js';

const io = captureStdio();

const thin = fixturePath('qmp', 'thin-lv-enospc-commit.jsonl');
const jsonLines = () =>
  io.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const tmp = mkdtempSync(join(tmpdir(), 'qmpipe-replay-'));

describe('qmpipe replay', () => {
  it('prints rate and alert lines with exactly the contract keys', async () => {
    expect(await replay([thin])).toBe(0);
    const lines = jsonLines();
    const rate = lines.find((l) => l.kind === 'rate')!;
    const alert = lines.find((l) => l.kind === 'alert')!;
    expect(Object.keys(rate)).toEqual(['kind', 't', 'vm', 'series', 'value', 'unit']);
    expect(Object.keys(alert)).toEqual(['kind', 't', 'vm', 'type', 'state', 'severity', 'device', 'backingIndex', 'node', 'value', 'message']);
    expect(rate.vm).toBe('cap-thin');
    expect(lines.some((l) => l.series === 'block.vda.wr.bytes' && l.unit === 'bytes/s')).toBe(true);
    expect(lines.filter((l) => l.kind === 'alert' && l.type === 'paused-enospc').map((l) => l.state)).toEqual(['firing', 'resolved']);
    expect(JSON.parse(io.stderr.trim().split('\n').at(-1)!)).toMatchObject({ msg: 'replay done', malformed: 0, ticks: 41 });
  });

  it('--emit selects kinds (samples, rollups too)', async () => {
    expect(await replay([thin, '--emit', 'alerts,samples,rollups'])).toBe(0);
    const kinds = new Set(jsonLines().map((l) => l.kind));
    expect(kinds).toEqual(new Set(['alert', 'sample', 'rollup']));
  });

  it('goes on past malformed lines, counting them, with the same alerts', async () => {
    const text = readFileSync(thin, 'utf8').split('\n');
    const dirty = text.flatMap((l, i) => (i % 100 === 50 ? ['{"t": oops', l, 'not json at all'] : [l]));
    const file = join(tmp, 'dirty.jsonl');
    writeFileSync(file, dirty.join('\n'));
    expect(await replay([thin, '--emit', 'alerts'])).toBe(0);
    const clean = io.stdout;
    io.stdout = '';
    io.stderr = '';
    expect(await replay([file, '--emit', 'alerts'])).toBe(0);
    expect(io.stdout).toBe(clean);
    expect(JSON.parse(io.stderr.trim())).toMatchObject({ malformed: 16 });
  });

  it('fails with a clear message on a file that is not a transcript', async () => {
    expect(await replay([join(packageRoot(), 'package.json')])).toBe(1);
    expect(io.stderr).toMatch(/^qmpipe replay: not a QMP transcript/);
    expect(io.stdout).toBe('');
  });

  it('rejects bad usage and bad config with the zod path', async () => {
    expect(await replay([])).toBe(2);
    expect(await replay([thin, '--emit', 'nonsense'])).toBe(2);
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, JSON.stringify({ alerts: { watermark: { warningRatio: 2 } } }));
    expect(await replay([thin, '--config', bad])).toBe(2);
    expect(io.stderr).toContain('alerts.watermark.warningRatio');
  });

  it('accepts the processor runtime config (its core section)', async () => {
    expect(await replay([thin, '--emit', 'alerts', '--config', join(packageRoot(), 'processor', 'processor.example.json')])).toBe(0);
    expect(jsonLines().length).toBeGreaterThan(10);
  });
});

describe('qmpipe domstats', () => {
  it('prints virsh domstats layout of the latest sample, top only without --backing', async () => {
    expect(await domstats([thin])).toBe(0); // every group: the state, then block (the fixture predates CPU and memory)
    expect(io.stdout.split('\n').slice(0, 6)).toEqual([
      "Domain: 'cap-thin'",
      '  state.state=1',
      '  state.reason=0',
      '  block.count=1',
      '  block.0.name=vda',
      '  block.0.path=/var/lib/qmpipe-test/top.qcow2',
    ]);
    io.stdout = '';
    expect(await domstats([thin, '--block'])).toBe(0);
    expect(io.stdout.split('\n').slice(0, 4)).toEqual([
      "Domain: 'cap-thin'",
      '  block.count=1',
      '  block.0.name=vda',
      '  block.0.path=/var/lib/qmpipe-test/top.qcow2',
    ]);
    io.stdout = '';
    expect(await domstats([thin, '--backing'])).toBe(0);
    expect(io.stdout).toContain('  block.count=2\n');
    expect(io.stdout).toContain('  block.1.path=/dev/loop2\n');
  });

  it('fails clearly on bad input', async () => {
    expect(await domstats([join(packageRoot(), 'package.json')])).toBe(1);
    expect(io.stderr).toMatch(/not a QMP transcript/);
    expect(await domstats([])).toBe(2);
    expect(await domstats([thin, '--until', '5'])).toBe(1);
    expect(io.stderr).toContain('no complete sample');
  });
});

describe('--libvirt with a URI the agent cannot use', () => {
  // Was zod's issue array as JSON, many lines on stderr.
  it.each([
    ['domstats', domstats, ['--libvirt', 'qemu:///session', '--domain', 'x']],
    ['top', top, ['--libvirt', 'qemu+tcp://h/system', '--once']],
  ] as const)('qmpipe %s says in one line which URI it accepts', async (name, run, argv) => {
    expect(await run([...argv])).toBe(2);
    const uri = argv[1];
    expect(io.stderr).toBe(
      `qmpipe ${name}: --libvirt: uri: "${uri}" is not accepted: only qemu:///system (the local system daemon, through its unix socket; no session, remote or tcp URIs)\n`,
    );
  });
});
