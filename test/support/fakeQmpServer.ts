/**
 * Unix-socket QMP servers for tests: fakes at the socket interface only.
 *
 * - `replayServer(transcript)`: sends the transcript's greeting, then answers each
 *   command with the transcript lines that followed the next matching `out` line
 *   (same execute + arguments), rewriting the reply id to the caller's id. Events in
 *   between are replayed as they were, so they sit between a command and its reply.
 *   `before` adds lines of the test's own ahead of an answer, `answer` replaces one.
 * - `stuckServer()`: accepts and never writes a byte.
 * - `garbageServer(bytes)`: writes `bytes` on connect (and after each read).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TranscriptLine } from './transcriptLines.js';

export interface FakeServer {
  path: string;
  /** Commands received, in order (parsed). */
  received: Array<Record<string, unknown>>;
  connections: number;
  /** Drops every client connection (EOF). */
  dropClients(): void;
  close(): Promise<void>;
}

export async function startServer(onConnection: (sock: Socket, srv: FakeServer) => void, path?: string): Promise<FakeServer> {
  const dir = path ? undefined : mkdtempSync(join(tmpdir(), 'qmpfake-'));
  const sockPath = path ?? join(dir!, 'qmp.sock');
  const sockets = new Set<Socket>();
  const fake: FakeServer = {
    path: sockPath,
    received: [],
    connections: 0,
    dropClients: () => sockets.forEach((s) => s.destroy()),
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => {
          if (dir) rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
  const server: Server = createServer((sock) => {
    fake.connections++;
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    onConnection(sock, fake);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(sockPath, () => resolve());
  });
  return fake;
}

function sameCommand(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return a.execute === b.execute && JSON.stringify(a.arguments ?? null) === JSON.stringify(b.arguments ?? null);
}

/** Lines read from the client, split on LF. */
function onLines(sock: Socket, fn: (line: string) => void): void {
  let buf = '';
  sock.on('data', (d) => {
    buf += d.toString('utf8');
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line) fn(line);
    }
  });
}

export interface ReplayOptions {
  /**
   * Default true: a command not among the next few recorded ones is looked for
   * further on, then from the start (the transcript loops). False: strict replay,
   * such a command gets a GenericError reply (or its last reply, if it had one).
   */
  loop?: boolean;
  /** Write each reply in pieces of this many bytes (to exercise framing). */
  chunkBytes?: number;
  /** With chunkBytes: this many ms between pieces, so each piece is its own read on the client. */
  chunkGapMs?: number;
  /** Text written before the answer to a command (e.g. an extra event line, CRLF-terminated). */
  before?: (cmd: Record<string, unknown>) => string;
  /** The test's own answer to a command (CRLF-terminated lines), in place of the recorded one; undefined: the recording. */
  answer?: (cmd: Record<string, unknown>) => string | undefined;
}

export function replayServer(lines: TranscriptLine[], opts: ReplayOptions = {}, path?: string): Promise<FakeServer> {
  const greeting = lines.find((l) => l.dir === 'in' && 'QMP' in l.msg);
  return startServer((sock, fake) => {
    let cursor = 0;
    const last = new Map<string, Record<string, unknown>>();
    const write = (text: string): void => {
      if (!opts.chunkBytes) return void sock.write(text);
      for (let i = 0; i < text.length; i += opts.chunkBytes) {
        const piece = text.slice(i, i + opts.chunkBytes);
        if (opts.chunkGapMs) setTimeout(() => sock.destroyed || sock.write(piece), (i / opts.chunkBytes) * opts.chunkGapMs);
        else sock.write(piece);
      }
    };
    if (greeting) write(`${JSON.stringify(greeting.msg)}\r\n`);
    onLines(sock, (line) => {
      const cmd = JSON.parse(line) as Record<string, unknown>;
      fake.received.push(cmd);
      const extra = opts.before?.(cmd);
      if (extra) write(extra);
      const own = opts.answer?.(cmd);
      if (own !== undefined) return void write(own);
      const key = JSON.stringify([cmd.execute, cmd.arguments ?? null]);
      let at = findOut(lines, cursor, cmd, LOOKAHEAD);
      if (at < 0 && last.has(key)) {
        // Not in the next few commands (the caller polls it more often than the
        // recorder did): answer with its latest reply, without moving on.
        write(`${JSON.stringify({ ...last.get(key)!, id: cmd.id })}\r\n`);
        return;
      }
      if (at < 0 && opts.loop === false) {
        // Strict replay never jumps ahead over recorded traffic (it would skip events).
        write(`${JSON.stringify({ error: { class: 'GenericError', desc: `${String(cmd.execute)} was not recorded at this point` }, id: cmd.id })}\r\n`);
        return;
      }
      if (at < 0) at = findOut(lines, cursor, cmd, Infinity);
      if (at < 0) at = findOut(lines, 0, cmd, Infinity);
      if (at < 0) {
        write(`${JSON.stringify({ error: { class: 'CommandNotFound', desc: `The command ${String(cmd.execute)} has not been found` }, id: cmd.id })}\r\n`);
        return;
      }
      const origId = lines[at]!.msg.id;
      let out = '';
      // Events recorded in the commands skipped over are still delivered, in order.
      if (at > cursor) for (let i = cursor; i < at; i++) if (lines[i]!.dir === 'in' && 'event' in lines[i]!.msg) out += `${JSON.stringify(lines[i]!.msg)}\r\n`;
      for (cursor = at + 1; cursor < lines.length && lines[cursor]!.dir !== 'out'; cursor++) {
        const l = lines[cursor]!;
        if (l.dir !== 'in') continue;
        const isReply = 'id' in l.msg && l.msg.id === origId;
        if (isReply) last.set(key, l.msg);
        const msg = isReply ? { ...l.msg, id: cmd.id } : l.msg;
        out += `${JSON.stringify(msg)}\r\n`;
      }
      write(out);
    });
  }, path);
}

/** How many recorded commands ahead a command is looked for before its last reply is reused. */
const LOOKAHEAD = 12;

function findOut(lines: TranscriptLine[], from: number, cmd: Record<string, unknown>, maxOuts: number): number {
  let outs = 0;
  for (let i = from; i < lines.length && outs <= maxOuts; i++) {
    if (lines[i]!.dir !== 'out') continue;
    if (sameCommand(lines[i]!.msg, cmd)) return i;
    outs++;
  }
  return -1;
}

export function stuckServer(path?: string): Promise<FakeServer> {
  return startServer((sock, fake) => onLines(sock, (l) => fake.received.push(JSON.parse(l) as Record<string, unknown>)), path);
}

export function garbageServer(bytes: Buffer, path?: string): Promise<FakeServer> {
  return startServer((sock) => {
    sock.write(bytes);
    sock.on('data', () => sock.write(bytes));
  }, path);
}
