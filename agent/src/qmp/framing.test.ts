import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { QmpProtocolError } from './errors.js';
import { encodeCommand, initialFrameState, pushBytes, type Frame, type FrameState } from './framing.js';
import { classify, parseMessage, type QmpMessage } from './messages.js';
import { loadFixture } from '#test/support/transcriptLines.js';

const MAX = 1 << 20;

/** Feeds `chunks` through the framer, collecting frames. */
function frameAll(chunks: Uint8Array[], max = MAX): { frames: Frame[]; state: FrameState } {
  let state = initialFrameState;
  const frames: Frame[] = [];
  for (const c of chunks) {
    const r = pushBytes(state, c, max);
    state = r.state;
    frames.push(...r.frames);
  }
  return { frames, state };
}

const lines = (fs: Frame[]): string[] => fs.flatMap((f) => (f.kind === 'line' ? [f.text] : []));
const errors = (fs: Frame[]): string[] => fs.flatMap((f) => (f.kind === 'error' ? [f.error.problem] : []));

/** The inbound wire bytes of a fixture, as QEMU wrote them (CRLF). */
function wireOf(name: string): { bytes: Buffer; msgs: Record<string, unknown>[] } {
  const msgs = loadFixture(name)
    .filter((l) => l.dir === 'in')
    .map((l) => l.msg);
  return { bytes: Buffer.from(msgs.map((m) => `${JSON.stringify(m)}\r\n`).join(''), 'utf8'), msgs };
}

describe('pushBytes on the shared fixtures', () => {
  for (const name of ['kvm-vcpu-stats.jsonl', 'thin-lv-enospc-commit.jsonl']) {
    it(`${name}: whole, and split at every 4093 bytes, gives the same messages`, () => {
      const { bytes, msgs } = wireOf(name);
      const whole = frameAll([bytes]);
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += 4093) chunks.push(bytes.subarray(i, i + 4093));
      const split = frameAll(chunks);
      expect(errors(whole.frames)).toEqual([]);
      expect(lines(whole.frames)).toEqual(lines(split.frames));
      expect(lines(whole.frames).map((l) => JSON.parse(l))).toEqual(msgs);
      expect(whole.state.partialBytes).toBe(0);
    });

    it(`${name}: classifies greeting, replies and events`, () => {
      const kinds = lines(frameAll([wireOf(name).bytes]).frames).map((l) => parseMessage(l).kind);
      expect(kinds[0]).toBe('greeting');
      expect(kinds.filter((k) => k === 'greeting')).toHaveLength(1);
      expect(kinds.filter((k) => k === 'return').length).toBeGreaterThan(50);
    });
  }

  it('the ENOSPC transcript has BLOCK_IO_ERROR(nospace) then STOP, and an event between a command and its reply', () => {
    const fx = loadFixture('thin-lv-enospc-commit.jsonl');
    const msgs = fx.filter((l) => l.dir === 'in').map((l) => classify(l.msg));
    const events = msgs.filter((m): m is Extract<QmpMessage, { kind: 'event' }> => m.kind === 'event');
    const ioErr = events.findIndex((e) => e.event === 'BLOCK_IO_ERROR' && e.data.nospace === true);
    expect(ioErr).toBeGreaterThanOrEqual(0);
    expect(events.slice(ioErr).some((e) => e.event === 'STOP')).toBe(true);
    expect(events[ioErr]!.timestamp.seconds).toBeGreaterThan(1_700_000_000);
    // some event sits between an `out` and the reply carrying that out's id
    let between = false;
    for (let i = 0; i < fx.length && !between; i++) {
      if (fx[i]!.dir !== 'out') continue;
      const id = fx[i]!.msg.id;
      for (let j = i + 1; j < fx.length && fx[j]!.msg.id !== id; j++) if (fx[j]!.dir === 'in' && 'event' in fx[j]!.msg) between = true;
    }
    expect(between).toBe(true);
  });
});

describe('pushBytes edge cases', () => {
  it.each([
    ['LF only', ['{"return":{}}\n'], ['{"return":{}}']],
    ['CRLF split between CR and LF', ['{"return":1}\r', '\n'], ['{"return":1}']],
    ['two lines in one chunk', ['{"a":1}\r\n{"b":2}\r\n'], ['{"a":1}', '{"b":2}']],
    ['blank lines skipped', ['\r\n\n{"a":1}\n'], ['{"a":1}']],
    ['byte by byte', [...'{"x":"y"}\r\n'], ['{"x":"y"}']],
    ['UTF-8 multi-byte split across chunks', [Buffer.from('{"n":"é'), Buffer.from('"}\n')], ['{"n":"é"}']],
  ])('%s', (_name, chunks, expected) => {
    const bufs = chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c));
    expect(lines(frameAll(bufs).frames)).toEqual(expected);
  });

  it('a truncated line stays pending, never emitted', () => {
    const r = frameAll([Buffer.from('{"return": {"status": "runn')]);
    expect(r.frames).toEqual([]);
    expect(Buffer.concat(r.state.parts).toString()).toBe('{"return": {"status": "runn');
  });

  it('a line over the limit yields one line-too-long error, is skipped to its newline, and the next line survives', () => {
    const huge = Buffer.alloc(5000, 0x61);
    const r = frameAll([Buffer.from('{"a":1}\n'), huge, huge, Buffer.from('zzz\n{"b":2}\n')], 4096);
    expect(errors(r.frames)).toEqual(['line-too-long']);
    expect(lines(r.frames)).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('memory stays bounded while a flood without newlines arrives', () => {
    let state = initialFrameState;
    for (let i = 0; i < 200; i++)
      state = pushBytes(
        state,
        randomBytes(64 * 1024).map((b) => (b === 10 ? 11 : b)),
        4096,
      ).state;
    expect(state.partialBytes).toBeLessThanOrEqual(4097);
    expect(state.discarding).toBe(true);
  });

  it('a line of exactly the limit passes; one byte more fails', () => {
    const ok = `"${'x'.repeat(98)}"`; // 100 bytes
    expect(lines(frameAll([Buffer.from(`${ok}\r\n`)], 100).frames)).toEqual([ok]);
    expect(errors(frameAll([Buffer.from(`${ok} \r\n`)], 100).frames)).toEqual(['line-too-long']);
  });

  it('invalid UTF-8 is a typed error, and framing goes on', () => {
    const r = frameAll([Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]), Buffer.from('{"a":1}\n')]);
    expect(errors(r.frames)).toEqual(['invalid-utf8']);
    expect(lines(r.frames)).toEqual(['{"a":1}']);
  });

  it('encodeCommand writes one CRLF-terminated JSON line', () => {
    expect(encodeCommand({ execute: 'query-status', id: 'q1' })).toBe('{"execute":"query-status","id":"q1"}\r\n');
  });
});

describe('parseMessage', () => {
  it.each([
    [
      'greeting',
      '{"QMP":{"version":{"qemu":{"micro":22,"minor":2,"major":7},"package":"p"},"capabilities":["oob"]}}',
      { kind: 'greeting', version: { major: 7, minor: 2, micro: 22 }, package: 'p', capabilities: ['oob'] },
    ],
    ['return', '{"return":{"status":"running"},"id":"q3"}', { kind: 'return', id: 'q3', value: { status: 'running' } }],
    ['return without id', '{"return":[]}', { kind: 'return', id: undefined, value: [] }],
    ['error', '{"error":{"class":"CommandNotFound","desc":"nope"},"id":"q4"}', { kind: 'error', id: 'q4', errorClass: 'CommandNotFound', desc: 'nope' }],
    [
      'event without data',
      '{"event":"STOP","timestamp":{"seconds":5,"microseconds":7}}',
      { kind: 'event', event: 'STOP', data: {}, timestamp: { seconds: 5, microseconds: 7 } },
    ],
    ['unknown keys ignored', '{"return":1,"id":"x","new-key":true}', { kind: 'return', id: 'x', value: 1 }],
  ])('%s', (_n, line, expected) => {
    expect(parseMessage(line)).toEqual(expected);
  });

  it.each([
    ['not JSON', '{"return":', 'invalid-json'],
    ['array', '[1,2]', 'not-an-object'],
    ['number', '42', 'not-an-object'],
    ['string', '"hi"', 'not-an-object'],
    ['null', 'null', 'not-an-object'],
    ['object of no known kind', '{"hello":1}', 'unknown-message'],
    ['error without class', '{"error":"x","id":"1"}', 'unknown-message'],
  ])('%s is a typed protocol error', (_n, line, problem) => {
    const err = (() => {
      try {
        parseMessage(line);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(QmpProtocolError);
    expect((err as QmpProtocolError).problem).toBe(problem);
    expect((err as QmpProtocolError).code).toBe('AGENT_QMP_PROTOCOL');
  });
});

describe('fuzz: framing and parsing never throw anything but QmpProtocolError', () => {
  // Deterministic PRNG so a failure is reproducible.
  let seed = 0x9e3779b9;
  const rnd = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 0x1_0000_0000;
  };
  const fixture = wireOf('thin-lv-enospc-commit.jsonl').bytes;
  const mutate = (buf: Buffer): Buffer => {
    const out = Buffer.from(buf);
    for (let k = 0; k < 1 + rnd() * 8; k++) out[Math.floor(rnd() * out.length)] = Math.floor(rnd() * 256);
    return out;
  };
  const corpora: Array<[string, () => Buffer]> = [
    ['random bytes', () => randomBytes(1 + Math.floor(rnd() * 8192))],
    [
      'mutated fixture slices',
      () => {
        const s = Math.floor(rnd() * (fixture.length - 4096));
        return mutate(fixture.subarray(s, s + 4096));
      },
    ],
    ['truncated lines', () => fixture.subarray(0, Math.floor(rnd() * 20000))],
    ['JSON that is not an object', () => Buffer.from(`${['1', '[]', '"s"', 'true', 'null', '[{"return":1}]'][Math.floor(rnd() * 6)]!}\r\n`)],
    [
      'invalid UTF-8',
      () => Buffer.concat([Buffer.from('{"event":"X","data":{"s":"'), Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xf0, 0x28, 0x8c, 0x28]), Buffer.from('"}}\n')]),
    ],
    ['huge lines', () => Buffer.concat([Buffer.alloc(5000 + Math.floor(rnd() * 5000), 0x20), Buffer.from('\n')])],
  ];
  it.each(corpora)('%s', (_name, gen) => {
    for (let round = 0; round < 300; round++) {
      let state = initialFrameState;
      const input = gen();
      for (let i = 0; i < input.length; ) {
        const n = 1 + Math.floor(rnd() * 2048);
        const r = pushBytes(state, input.subarray(i, i + n), 4096);
        i += n;
        state = r.state;
        expect(state.partialBytes).toBeLessThanOrEqual(4097);
        for (const f of r.frames) {
          if (f.kind === 'error') {
            expect(f.error).toBeInstanceOf(QmpProtocolError);
            continue;
          }
          try {
            const m = parseMessage(f.text);
            expect(['greeting', 'return', 'error', 'event']).toContain(m.kind);
          } catch (e) {
            expect(e).toBeInstanceOf(QmpProtocolError);
          }
        }
      }
    }
  });
});
