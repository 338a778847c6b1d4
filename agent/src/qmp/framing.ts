/**
 * QMP framing, pure (qmp-spec.rst "Protocol Specification"): the server sends one
 * JSON object per line, terminated by CRLF (we also accept a bare LF); its output is
 * ASCII, our input must be UTF-8.
 *
 *   bytes ──pushBytes──▶ Frame[]   (a line of text, or a typed protocol error)
 *   Message ──encodeCommand──▶ line (string, CRLF-terminated)
 *
 * A line longer than `maxLineBytes` (without its terminator) yields one
 * `line-too-long` error and is discarded up to its newline, so a flood or garbage
 * never grows memory past the limit. Invalid UTF-8 yields `invalid-utf8`. No I/O and
 * no clock here: `QmpClient` is the shell that feeds socket chunks in.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { QmpProtocolError } from './errors.js';

export interface FrameState {
  /**
   * Bytes of the current, unterminated line, as the chunks they came in (copied out of
   * the socket's buffers). Joined once when the line ends: a long reply arriving in
   * many chunks costs one copy, not one per chunk.
   */
  readonly parts: readonly Buffer[];
  /** Total bytes in `parts`. */
  readonly partialBytes: number;
  /** True while skipping the rest of a line that exceeded the limit. */
  readonly discarding: boolean;
}

export type Frame = { kind: 'line'; text: string } | { kind: 'error'; error: QmpProtocolError };

export const initialFrameState: FrameState = { parts: [], partialBytes: 0, discarding: false };

/** The python qmp client caps reads at 10 MB; our replies are ~10 KB (a VM with hundreds of disks: MBs). */
export const DEFAULT_MAX_LINE_BYTES = 1 << 20;

const LF = 0x0a;
const CR = 0x0d;

/** Splits `chunk` (appended to what `state` holds) into complete lines and errors. */
export function pushBytes(state: FrameState, chunk: Uint8Array, maxLineBytes: number): { state: FrameState; frames: Frame[] } {
  const frames: Frame[] = [];
  let discarding = state.discarding;
  let start = 0;
  let parts = state.parts;
  let partialBytes = state.partialBytes;
  for (;;) {
    const nl = chunk.indexOf(LF, start);
    if (nl < 0) break;
    const piece = chunk.subarray(start, nl);
    start = nl + 1;
    if (discarding) {
      discarding = false;
      continue;
    }
    const line = partialBytes > 0 ? Buffer.concat([...parts, piece], partialBytes + piece.length) : piece;
    parts = NONE;
    partialBytes = 0;
    const end = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
    if (end > maxLineBytes) {
      frames.push({ kind: 'error', error: tooLong(maxLineBytes) });
      continue;
    }
    const frame = decodeLine(line.subarray(0, end));
    if (frame) frames.push(frame);
  }
  const rest = chunk.subarray(start);
  if (discarding) return { state: { parts: NONE, partialBytes: 0, discarding: true }, frames };
  if (partialBytes + rest.length > maxLineBytes + 1) {
    // +1: a CR may still be waiting for its LF.
    frames.push({ kind: 'error', error: tooLong(maxLineBytes) });
    return { state: { parts: NONE, partialBytes: 0, discarding: true }, frames };
  }
  if (rest.length === 0) return { state: partialBytes === 0 ? initialFrameState : { parts, partialBytes, discarding: false }, frames };
  return { state: { parts: [...parts, Buffer.from(rest)], partialBytes: partialBytes + rest.length, discarding: false }, frames };
}

const NONE: readonly Buffer[] = [];

function tooLong(max: number): QmpProtocolError {
  return new QmpProtocolError('line-too-long', `QMP line exceeds ${max} bytes; discarded`);
}

function decodeLine(bytes: Uint8Array): Frame | undefined {
  if (bytes.length === 0) return undefined; // blank lines are not messages
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  // QEMU's output is ASCII; both checks are native, so the common case costs one scan.
  if (isAscii(buf)) return { kind: 'line', text: buf.toString('latin1') };
  if (isUtf8(buf)) return { kind: 'line', text: buf.toString('utf8') };
  return { kind: 'error', error: new QmpProtocolError('invalid-utf8', 'QMP line is not valid UTF-8') };
}

/** One command as written to the socket: JSON, CRLF-terminated (a string: Node encodes it on write). */
export function encodeCommand(msg: object): string {
  return `${JSON.stringify(msg)}\r\n`;
}
