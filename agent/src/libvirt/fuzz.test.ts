/**
 * Seeded fuzzing of the decoders with the recorded frames as seeds: truncated, bit-flipped
 * and count-inflated messages must decode or throw LibvirtProtocolError, never anything
 * else, and never hang. Seeds are fixed so a failure reproduces.
 */
import { describe, expect, it } from 'vitest';
import { MessageStatus, MessageType, QEMU_PROGRAM, QemuProc, REMOTE_PROGRAM } from './constants.js';
import { LibvirtProtocolError } from './errors.js';
import { decodeDomainEvent } from './events.js';
import { initialFrameState, splitFrames } from './framing.js';
import { decodeMessage, decodeRemoteError } from './message.js';
import type { Procedure } from './procedure.js';
import { decodeMonitorEvent, monitorCommand, registerMonitorEvent } from './qemuCalls.js';
import * as remote from './remoteCalls.js';
import { loadTranscript, prng } from '#test/support/libvirt/transcript.js';

const replies = new Map<string, Procedure<never, unknown>>(
  [...Object.values(remote), monitorCommand, registerMonitorEvent]
    .filter((p): p is Procedure<never, unknown> => typeof p === 'object' && p !== null && 'decode' in p)
    .map((p) => [`${p.program}/${p.proc}`, p]),
);

/** Everything the client would do with these bytes up to a decoded value. */
function decodeWire(wire: Buffer): unknown[] {
  const out: unknown[] = [];
  for (const frame of splitFrames(initialFrameState, wire).frames) {
    const { header: h, payload } = decodeMessage(frame);
    if (h.type === MessageType.REPLY && h.status === MessageStatus.ERROR) out.push(decodeRemoteError(payload));
    else if (h.type === MessageType.REPLY) out.push(replies.get(`${h.prog}/${h.proc}`)?.decode(payload));
    else if (h.prog === QEMU_PROGRAM && h.proc === QemuProc.DOMAIN_MONITOR_EVENT) out.push(decodeMonitorEvent(payload));
    else if (h.prog === REMOTE_PROGRAM) out.push(decodeDomainEvent(h.proc, payload));
  }
  return out;
}

const seeds = loadTranscript()
  .frames.filter((f) => f.dir === 'in')
  .map((f) => f.bytes);

function survive(wire: Buffer): 'ok' | 'typed' {
  try {
    decodeWire(wire);
    return 'ok';
  } catch (err) {
    if (!(err instanceof LibvirtProtocolError)) throw new Error(`untyped failure on ${wire.toString('hex').slice(0, 200)}: ${String(err)}`);
    return 'typed';
  }
}

describe('decoder fuzzing (seeded)', () => {
  it('every recorded frame decodes as recorded', () => {
    for (const s of seeds) expect(survive(s)).toBe('ok');
    expect(replies.size).toBeGreaterThan(10);
  });

  it('truncated messages (length word fixed up) throw typed errors', () => {
    const rnd = prng(1);
    let typed = 0;
    for (let i = 0; i < 3000; i++) {
      const s = seeds[Math.floor(rnd() * seeds.length)]!;
      const cut = 28 + Math.floor(rnd() * (s.length - 28));
      const m = Buffer.from(s.subarray(0, cut));
      m.writeUInt32BE(cut, 0);
      if (survive(m) === 'typed') typed++;
    }
    expect(typed).toBeGreaterThan(1000);
  });

  it('bit flips anywhere, including the length word and header', () => {
    const rnd = prng(2);
    for (let i = 0; i < 5000; i++) {
      const m = Buffer.from(seeds[Math.floor(rnd() * seeds.length)]!);
      for (let k = 1 + Math.floor(rnd() * 4); k > 0; k--) {
        const bit = Math.floor(rnd() * m.length * 8);
        m[bit >> 3]! ^= 1 << (bit & 7);
      }
      survive(m);
    }
  });

  it('inflated counts and lengths (10^9, 2^32-1, max+1) at every aligned word fail fast', () => {
    const rnd = prng(3);
    const big = [1_000_000_000, 0xffffffff, 0x7fffffff, 262_145, 16_385, 4_194_305];
    const t0 = Date.now();
    for (const s of seeds) {
      for (let off = 28; off + 4 <= s.length; off += 4) {
        const m = Buffer.from(s);
        m.writeUInt32BE(big[Math.floor(rnd() * big.length)]!, off);
        survive(m);
      }
    }
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('a 20-byte-payload stats reply announcing 10^9 records throws at once', () => {
    const m = Buffer.alloc(4 + 24 + 20);
    m.writeUInt32BE(m.length, 0);
    m.writeUInt32BE(REMOTE_PROGRAM, 4);
    m.writeUInt32BE(1, 8);
    m.writeInt32BE(344, 12); // CONNECT_GET_ALL_DOMAIN_STATS
    m.writeInt32BE(MessageType.REPLY, 16);
    m.writeUInt32BE(1_000_000_000, 28);
    const err = (() => {
      try {
        decodeWire(m);
      } catch (e) {
        return e as LibvirtProtocolError;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(LibvirtProtocolError);
    expect(err?.reason).toBe('LIMIT');
  });

  it('random garbage streams', () => {
    const rnd = prng(4);
    for (let i = 0; i < 2000; i++) {
      const n = Math.floor(rnd() * 200);
      const m = Buffer.alloc(n);
      for (let k = 0; k < n; k++) m[k] = Math.floor(rnd() * 256);
      if (n >= 4 && rnd() < 0.5) m.writeUInt32BE(Math.max(28, n), 0);
      survive(m);
    }
  });
});
