/**
 * Splits libvirt's byte stream into messages, purely: `(state, chunk) -> (state, frames)`.
 * Wire format (src/rpc/virnetprotocol.x, "RPC wire format"): a 4-byte big-endian length
 * that counts itself, then the 24-byte header and the payload. A length below 28 or above
 * VIR_NET_MESSAGE_MAX + 4 is a protocol error: the connection cannot be resynchronised.
 */
import { HEADER_BYTES, LEN_WORD_BYTES, MESSAGE_MAX } from './constants.js';
import { LibvirtProtocolError } from './errors.js';

export interface FrameState {
  /** Bytes received but not yet part of a whole message, as they came (not yet joined). */
  readonly chunks: readonly Buffer[];
  readonly bytes: number;
}

export const initialFrameState: FrameState = { chunks: [], bytes: 0 };

export interface FrameResult {
  state: FrameState;
  /** Whole messages without their length word: header + payload. */
  frames: Buffer[];
}

/** Largest length word accepted (VIR_NET_MESSAGE_MAX plus the length word itself). */
export const MAX_LENGTH_WORD = MESSAGE_MAX + LEN_WORD_BYTES;
const MIN_LENGTH_WORD = LEN_WORD_BYTES + HEADER_BYTES;

export function checkLengthWord(len: number, max = MAX_LENGTH_WORD): void {
  if (len < MIN_LENGTH_WORD || len > max) {
    throw new LibvirtProtocolError('FRAME_SIZE', `message length ${len} outside ${MIN_LENGTH_WORD}..${max}`);
  }
}

/** The length word at the start of the pending chunks (which hold at least 4 bytes). */
function leadingLength(chunks: readonly Buffer[]): number {
  const head: Buffer[] = [];
  let n = 0;
  for (const c of chunks) {
    if (n >= LEN_WORD_BYTES) break;
    head.push(c);
    n += c.length;
  }
  return (head.length === 1 ? head[0]! : Buffer.concat(head, n)).readUInt32BE(0);
}

/**
 * Appends `chunk` and cuts out every whole message. The length word is checked as soon as
 * its 4 bytes are in, before waiting for the body it announces. Chunks are only joined once
 * a whole message is in, so a large reply arriving in many small reads is copied once,
 * not once per read.
 */
export function splitFrames(state: FrameState, chunk: Buffer, max = MAX_LENGTH_WORD): FrameResult {
  const chunks = state.chunks.length === 0 ? [chunk] : [...state.chunks, chunk];
  const bytes = state.bytes + chunk.length;
  if (bytes < LEN_WORD_BYTES) return { state: { chunks, bytes }, frames: [] };
  const first = leadingLength(chunks);
  checkLengthWord(first, max);
  if (bytes < first) return { state: { chunks, bytes }, frames: [] };

  const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes);
  const frames: Buffer[] = [];
  let pos = 0;
  while (data.length - pos >= LEN_WORD_BYTES) {
    const len = data.readUInt32BE(pos);
    checkLengthWord(len, max);
    if (data.length - pos < len) break;
    frames.push(data.subarray(pos + LEN_WORD_BYTES, pos + len));
    pos += len;
  }
  if (pos === data.length) return { state: initialFrameState, frames };
  // Copy the tail so a large consumed buffer is not kept alive by a small remainder.
  const rest = Buffer.from(data.subarray(pos));
  return { state: { chunks: [rest], bytes: rest.length }, frames };
}

/** One message on the wire: the length word, then `body` (header + payload). */
export function encodeFrame(body: Buffer): Buffer {
  const len = body.length + LEN_WORD_BYTES;
  checkLengthWord(len);
  const out = Buffer.allocUnsafe(len);
  out.writeUInt32BE(len, 0);
  body.copy(out, LEN_WORD_BYTES);
  return out;
}
