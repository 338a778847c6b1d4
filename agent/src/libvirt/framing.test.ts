import { describe, expect, it } from 'vitest';
import { MESSAGE_MAX } from './constants.js';
import { LibvirtProtocolError } from './errors.js';
import { encodeFrame, initialFrameState, splitFrames, type FrameState } from './framing.js';
import { loadTranscript, prng } from '#test/support/libvirt/transcript.js';

function frameAll(chunks: Buffer[]): { frames: Buffer[]; state: FrameState } {
  let state = initialFrameState;
  const frames: Buffer[] = [];
  for (const c of chunks) {
    const r = splitFrames(state, c);
    state = r.state;
    frames.push(...r.frames);
  }
  return { frames, state };
}

const inbound = loadTranscript()
  .frames.filter((f) => f.dir === 'in')
  .map((f) => f.bytes);
const stream = Buffer.concat(inbound);
const bodies = inbound.map((f) => f.subarray(4).toString('hex'));

describe('splitFrames', () => {
  it('cuts the recorded inbound stream into its messages when joined in one chunk', () => {
    const { frames, state } = frameAll([stream]);
    expect(frames.map((f) => f.toString('hex'))).toEqual(bodies);
    expect(state.bytes).toBe(0);
  });

  it('gives the same messages one byte at a time and in random chunks', () => {
    const oneByOne = frameAll([...stream].map((b) => Buffer.from([b])));
    expect(oneByOne.frames.map((f) => f.toString('hex'))).toEqual(bodies);
    const rnd = prng(7);
    for (let round = 0; round < 20; round++) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < stream.length; ) {
        const n = 1 + Math.floor(rnd() * 300);
        chunks.push(stream.subarray(i, i + n));
        i += n;
      }
      expect(frameAll(chunks).frames.map((f) => f.toString('hex'))).toEqual(bodies);
    }
  });

  it('keeps a partial message pending', () => {
    const first = inbound[0]!;
    const { frames, state } = frameAll([first.subarray(0, 10)]);
    expect(frames).toEqual([]);
    expect(state.bytes).toBe(10);
  });

  it('joins a large message only once it is whole', () => {
    const body = Buffer.alloc(8 << 20, 7);
    const frame = encodeFrame(body);
    let state = initialFrameState;
    let got: Buffer[] = [];
    for (let i = 0; i < frame.length; i += 65_536) {
      const r = splitFrames(state, frame.subarray(i, i + 65_536));
      state = r.state;
      got = got.concat(r.frames);
      if (i + 65_536 < frame.length) expect(r.frames).toEqual([]);
    }
    expect(got).toHaveLength(1);
    expect(got[0]!.equals(body)).toBe(true);
    // a length word split over two reads
    const two = splitFrames(splitFrames(initialFrameState, frame.subarray(0, 2)).state, frame.subarray(2, 10));
    expect(two.state.bytes).toBe(10);
  });

  it('rejects a length word above VIR_NET_MESSAGE_MAX + 4 as soon as it is read, or below 28', () => {
    const big = Buffer.alloc(4);
    big.writeUInt32BE(MESSAGE_MAX + 5, 0);
    expect(() => splitFrames(initialFrameState, big)).toThrow(LibvirtProtocolError);
    const small = Buffer.from('0000001b', 'hex');
    expect(() => splitFrames(initialFrameState, small)).toThrow(/outside 28/);
  });

  it('encodeFrame writes the length word that counts itself', () => {
    const f = encodeFrame(Buffer.alloc(24, 1));
    expect(f.readUInt32BE(0)).toBe(28);
    expect(splitFrames(initialFrameState, f).frames[0]).toEqual(Buffer.alloc(24, 1));
  });
});
