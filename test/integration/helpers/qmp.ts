/**
 * A minimal QMP client over a raw unix socket, for tests and operators (the agent has its
 * own in agent/src/qmp). Wire shape (docs/interop/qmp-spec.rst):
 *   server greeting  {"QMP":{"version":…,"capabilities":[…]}}
 *   client           {"execute":"qmp_capabilities","id":1}  → {"return":{},"id":1}
 *   client           {"execute":CMD,"arguments"?:…,"id":N}  → {"return":…,"id":N} | {"error":{class,desc},"id":N}
 *   server, any time {"event":NAME,"data"?:…,"timestamp":{seconds,microseconds}}
 * Messages are CRLF/LF-terminated JSON objects. Events are buffered from negotiation on,
 * so a test can wait for one that already arrived.
 */
import net from 'node:net';

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp: { seconds: number; microseconds: number };
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  command: string;
}

export class QmpTestClient {
  readonly events: QmpEvent[] = [];
  greeting: unknown;
  private readonly pending = new Map<number, Pending>();
  private readonly waiters = new Set<() => void>();
  private nextId = 1;
  private buf = '';
  private closed: Error | undefined;

  private constructor(private readonly sock: net.Socket) {}

  /** Connects, reads the greeting and negotiates capabilities. */
  static async connect(path: string, timeoutMs = 10_000): Promise<QmpTestClient> {
    const sock = net.connect(path);
    const client = new QmpTestClient(sock);
    sock.setEncoding('utf8');
    const greeting = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`QMP ${path}: no greeting in ${timeoutMs} ms`)), timeoutMs);
      sock.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      client.onGreeting = (g) => {
        clearTimeout(timer);
        resolve(g);
      };
    });
    sock.on('data', (chunk: string) => client.onData(chunk));
    sock.on('close', () => client.fail(new Error(`QMP ${path}: connection closed`)));
    sock.on('error', (err) => client.fail(err));
    client.greeting = await greeting;
    await client.execute('qmp_capabilities');
    return client;
  }

  private onGreeting: ((g: unknown) => void) | undefined;

  /** Runs a command; resolves to its `return`, rejects with `CLASS: desc` on `error`. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    const msg = { execute: command, ...(args ? { arguments: args } : {}), id };
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, command });
      this.sock.write(`${JSON.stringify(msg)}\r\n`);
    });
  }

  /** Resolves with the first buffered or future event matching, from index `from` on. */
  async waitForEvent(name: string, match: (e: QmpEvent) => boolean = () => true, timeoutMs = 60_000, from = 0): Promise<QmpEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(from).find((e) => e.event === name && match(e));
      if (found) return found;
      if (this.closed) throw this.closed;
      const left = deadline - Date.now();
      if (left <= 0) {
        const seen = this.events.map((e) => e.event).join(', ') || 'none';
        throw new Error(`QMP: no ${name} event within ${timeoutMs} ms (events seen: ${seen})`);
      }
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(t);
          this.waiters.delete(wake);
          resolve();
        };
        const t = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  close(): void {
    this.sock.destroy();
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (line) this.onMessage(JSON.parse(line) as Record<string, unknown>);
    }
  }

  private onMessage(msg: Record<string, unknown>): void {
    if ('QMP' in msg) {
      this.onGreeting?.(msg);
    } else if ('event' in msg) {
      this.events.push(msg as unknown as QmpEvent);
      for (const wake of [...this.waiters]) wake();
    } else if (typeof msg.id === 'number' && this.pending.has(msg.id)) {
      const p = this.pending.get(msg.id)!;
      this.pending.delete(msg.id);
      const error = msg.error as { class: string; desc: string } | undefined;
      if (error) p.reject(new Error(`QMP ${p.command}: ${error.class}: ${error.desc}`));
      else p.resolve(msg.return);
    }
  }

  private fail(err: Error): void {
    this.closed ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const wake of [...this.waiters]) wake();
  }
}
