/**
 * A small QMP client for the demo's operator, on the VM's *operator* socket (the
 * agent has its own socket, and its client refuses anything but queries by design).
 *
 * Wire (QEMU docs/interop/qmp-spec): greeting {"QMP":{...}} → {"execute":"qmp_capabilities"}
 * → {"return":{}}; then {"execute":CMD,"arguments":{...},"id":N} → {"return":...,"id":N} or
 * {"error":{"class","desc"},"id":N}; events {"event","data","timestamp"} arrive at any time.
 * One JSON object per line.
 */
import net from 'node:net';
import { QmpipeError } from '#common/errors.js';

export class DemoQmpError extends QmpipeError {
  constructor(message: string, opts: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super('DEMO_QMP', message, opts);
  }
}

export interface QmpEventMessage {
  event: string;
  data: Record<string, unknown>;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout; command: string };

export class OperatorQmp {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private buf = '';
  private closed = false;

  private constructor(
    private readonly sock: net.Socket,
    private readonly onEvent: (e: QmpEventMessage) => void,
    private readonly timeoutMs: number,
  ) {}

  /** Connects, reads the greeting and negotiates capabilities. */
  static async connect(path: string, onEvent: (e: QmpEventMessage) => void, timeoutMs = 10_000): Promise<OperatorQmp> {
    const sock = net.connect(path);
    sock.setEncoding('utf8');
    const c = new OperatorQmp(sock, onEvent, timeoutMs);
    const greeting = new Promise<void>((resolve, reject) => {
      c.greeted = resolve;
      sock.once('error', (e) => reject(new DemoQmpError(`cannot connect to ${path}`, { cause: e })));
      setTimeout(() => reject(new DemoQmpError(`no QMP greeting on ${path} within ${timeoutMs} ms`)), timeoutMs).unref();
    });
    sock.on('data', (d: string) => c.onData(d));
    sock.on('close', () => c.fail(new DemoQmpError(`QMP connection ${path} closed`)));
    sock.on('error', () => {});
    await greeting;
    await c.execute('qmp_capabilities');
    return c;
  }

  private greeted: (() => void) | undefined;

  private onData(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (line) this.onLine(line);
    }
  }

  private onLine(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if ('QMP' in msg) {
      this.greeted?.();
      this.greeted = undefined;
      return;
    }
    if (typeof msg.event === 'string') {
      this.onEvent({ event: msg.event, data: (msg.data ?? {}) as Record<string, unknown> });
      return;
    }
    const p = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined;
    if (!p) return; // unknown id: dropped (qmp-spec 2.4)
    this.pending.delete(msg.id as number);
    clearTimeout(p.timer);
    const err = msg.error as { class?: string; desc?: string } | undefined;
    if (err) p.reject(new DemoQmpError(`${p.command}: ${err.class ?? 'Error'}: ${err.desc ?? ''}`, { context: { command: p.command, errorClass: err.class } }));
    else p.resolve(msg.return);
  }

  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.closed) return Promise.reject(new DemoQmpError(`${command}: connection closed`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new DemoQmpError(`${command}: no reply within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer, command });
      this.sock.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\r\n`);
    });
  }

  private fail(err: Error): void {
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }

  close(): void {
    this.closed = true;
    this.sock.destroy();
  }
}
