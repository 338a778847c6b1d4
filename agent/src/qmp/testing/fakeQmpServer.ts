/**
 * Unix-socket QMP servers for tests: fakes at the socket interface only.
 *
 * - `replayServer(transcript)`: sends the transcript's greeting, then answers each
 *   command with the transcript lines that followed the next matching `out` line
 *   (same execute + arguments), rewriting the reply id to the caller's id. Events in
 *   between are replayed as they were, so they sit between a command and its reply.
 * - `stuckServer()`: accepts and never writes a byte.
 * - `garbageServer(bytes)`: writes `bytes` on connect (and after each read).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TranscriptLine } from './transcript.js';

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
  /** Wrap around to the first matching command when the transcript runs out (default true). */
  loop?: boolean;
  /** Write each reply in pieces of this many bytes (to exercise framing). */
  chunkBytes?: number;
}

export function replayServer(lines: TranscriptLine[], opts: ReplayOptions = {}, path?: string): Promise<FakeServer> {
  const greeting = lines.find((l) => l.dir === 'in' && 'QMP' in l.msg);
  return startServer((sock, fake) => {
    let cursor = 0;
    const write = (text: string): void => {
      if (!opts.chunkBytes) return void sock.write(text);
      for (let i = 0; i < text.length; i += opts.chunkBytes) sock.write(text.slice(i, i + opts.chunkBytes));
    };
    if (greeting) write(`${JSON.stringify(greeting.msg)}\r\n`);
    onLines(sock, (line) => {
      const cmd = JSON.parse(line) as Record<string, unknown>;
      fake.received.push(cmd);
      let at = findOut(lines, cursor, cmd);
      if (at < 0 && opts.loop !== false) at = findOut(lines, 0, cmd);
      if (at < 0) {
        write(`${JSON.stringify({ error: { class: 'CommandNotFound', desc: `The command ${String(cmd.execute)} has not been found` }, id: cmd.id })}\r\n`);
        return;
      }
      const origId = lines[at]!.msg.id;
      let out = '';
      for (cursor = at + 1; cursor < lines.length && lines[cursor]!.dir !== 'out'; cursor++) {
        const l = lines[cursor]!;
        if (l.dir !== 'in') continue;
        const msg = 'id' in l.msg && l.msg.id === origId ? { ...l.msg, id: cmd.id } : l.msg;
        out += `${JSON.stringify(msg)}\r\n`;
      }
      write(out);
    });
  }, path);
}

function findOut(lines: TranscriptLine[], from: number, cmd: Record<string, unknown>): number {
  for (let i = from; i < lines.length; i++) if (lines[i]!.dir === 'out' && sameCommand(lines[i]!.msg, cmd)) return i;
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
