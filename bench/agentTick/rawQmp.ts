/**
 * The agent-tick bench's baseline client: a minimal QMP loop on a raw socket that sends
 * the same commands pipelined and only JSON.parse-s the replies.
 */
import { readFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import type { PlannedCommand } from '#agent/poller/tickPlan.js';

/** Read and write syscalls of this process so far (/proc/self/io). */
export function syscalls(): { r: number; w: number } {
  const io = readFileSync('/proc/self/io', 'utf8');
  return { r: Number(/syscr: (\d+)/.exec(io)![1]), w: Number(/syscw: (\d+)/.exec(io)![1]) };
}

export class RawQmp {
  private buf = '';
  private waiting = 0;
  private done: (() => void) | undefined;
  constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(this.buf.slice(0, i)) as Record<string, unknown>;
        this.buf = this.buf.slice(i + 1);
        if ('return' in msg || 'error' in msg || 'QMP' in msg) {
          if (--this.waiting === 0) this.done?.();
        }
      }
    });
  }
  static async open(path: string): Promise<RawQmp> {
    const sock = createConnection(path);
    await new Promise<void>((r, j) => sock.once('connect', () => r()).once('error', j));
    const q = new RawQmp(sock);
    await q.send([]); // the greeting counts as one awaited line
    await q.send([{ key: 'query-status', execute: 'qmp_capabilities' }], 0);
    return q;
  }
  /** Writes the commands pipelined and resolves when every reply (plus `extra` lines) arrived. */
  send(cmds: PlannedCommand[], extra = cmds.length === 0 ? 1 : 0): Promise<void> {
    this.waiting = cmds.length + extra;
    const p = new Promise<void>((r) => (this.done = r));
    let out = '';
    let id = 0;
    for (const c of cmds)
      out += `${JSON.stringify(c.arguments ? { execute: c.execute, arguments: c.arguments, id: `b${id++}` } : { execute: c.execute, id: `b${id++}` })}\r\n`;
    if (out) this.sock.write(out);
    return p;
  }
  close(): Promise<void> {
    return new Promise((r) => {
      this.sock.once('close', () => r());
      this.sock.destroy();
    });
  }
}
