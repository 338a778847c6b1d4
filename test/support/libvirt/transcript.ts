/** Loads test/fixtures/libvirt-rpc/transcript.json: real frames recorded from libvirtd 9.0. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RecordedFrame {
  dir: 'out' | 'in';
  step: string;
  /** The whole frame, length word included. */
  bytes: Buffer;
}

export interface Transcript {
  domain: string;
  frames: RecordedFrame[];
}

export const FIXTURE_DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'libvirt-rpc');

export function loadTranscript(): Transcript {
  const raw = JSON.parse(readFileSync(join(FIXTURE_DIR, 'transcript.json'), 'utf8')) as {
    domain: string;
    frames: { dir: 'out' | 'in'; step: string; hex: string }[];
  };
  return { domain: raw.domain, frames: raw.frames.map((f) => ({ dir: f.dir, step: f.step, bytes: Buffer.from(f.hex, 'hex') })) };
}

/** The frames of one step and direction, in order. */
export function framesOf(t: Transcript, step: string, dir: 'out' | 'in'): Buffer[] {
  const out = t.frames.filter((f) => f.step === step && f.dir === dir).map((f) => f.bytes);
  if (out.length === 0) throw new Error(`no ${dir} frame for step ${step}`);
  return out;
}

/** Deterministic PRNG (mulberry32) for seeded fuzzing. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
