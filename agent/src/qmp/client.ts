/**
 * QmpClient: the thin socket shell around the pure framing and parsing.
 *
 * Lifecycle (mirrors QEMU's python qmp_client.py):
 *   connect (unix or tcp) → greeting → qmp_capabilities → execute()* → close
 *
 * Contracts:
 * - Every command gets a fresh `id`; replies are routed by it. A reply whose id is
 *   unknown is dropped and logged (qmp-spec 2.4). Events are separated from replies
 *   and handed to `onEvent` in arrival order, even between a command and its reply.
 * - At most `maxInFlight` (8) commands are on the wire; more wait in a FIFO queue.
 *   A timed-out command keeps its slot until its late reply arrives (QEMU still
 *   runs it), so the server is never sent more than 8 commands to read.
 * - The allowlist is checked before a command is queued: a refused command never
 *   reaches the socket.
 * - A line nested deeper than `maxJsonDepth` is never parsed (depth.ts): an event is
 *   dropped, a reply fails its command with a `too-deep` QmpProtocolError, and the
 *   connection goes on. A handler that throws (`onEvent`, `onTraffic`) never reaches the
 *   socket's read callback. Both are counted and logged through `onDropped`.
 * - EOF, reset, a protocol error or `close()` fail every pending and queued command
 *   with `QmpDisconnectedError` (cause: the protocol error, if any), then `onClose`
 *   runs once. The client does not reconnect: the poller owns that policy.
 */
import type { Socket } from 'node:net';
import { silentLogger, type Logger } from '#common/log.js';
import { isAllowed, readOnlyAllowlist, type Allowlist } from './allowlist.js';
import {
  QmpDisconnectedError,
  QmpExecuteError,
  QmpGreetingError,
  QmpNegotiationError,
  QmpProtocolError,
  QmpRefusedError,
  QmpTimeoutError,
  type QmpError,
} from './errors.js';
import { describeError } from '#common/errors.js';
import { DEFAULT_MAX_JSON_DEPTH, nestsDeeper, topLevel } from './depth.js';
import { DropReport, type QmpDrop } from './dropReport.js';
import { DEFAULT_MAX_LINE_BYTES, encodeCommand, initialFrameState, pushBytes, type FrameState } from './framing.js';
import { CommandQueue, type Pending } from './commandQueue.js';
import { parseMessage, type QmpEventMessage, type QmpGreeting, type QmpMessage } from './messages.js';
import { describeTransport, openSocket, type QmpTransport } from './transport.js';

export { describeTransport, type QmpTransport } from './transport.js';

export interface QmpClientOptions {
  allowlist?: Allowlist;
  maxLineBytes?: number;
  /** Deepest nesting of objects and arrays parsed (depth.ts); default DEFAULT_MAX_JSON_DEPTH. */
  maxJsonDepth?: number;
  maxInFlight?: number;
  connectTimeoutMs?: number;
  /** Time allowed for the greeting and for qmp_capabilities each. */
  handshakeTimeoutMs?: number;
  commandTimeoutMs?: number;
  logger?: Logger;
  onEvent?: (ev: QmpEventMessage) => void;
  onClose?: (err: QmpError) => void;
  /** Sees every message read and command written (for `qmpipe record`). */
  onTraffic?: (dir: 'in' | 'out', msg: unknown) => void;
  /** A message read and not delivered (dropReport.ts); default: a warning, one a minute at most. */
  onDropped?: (drop: QmpDrop) => void;
}

export interface ExecuteOptions {
  timeoutMs?: number;
}

export class QmpClient {
  greeting!: QmpGreeting;
  private frame: FrameState = initialFrameState;
  private nextId = 1;
  private readonly commands = new CommandQueue();
  private closedWith: QmpError | undefined;
  private pumpScheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private greetingWaiter: ((m: QmpMessage | QmpError) => void) | undefined;
  private readonly log: Logger;
  private readonly dropped: (drop: QmpDrop) => void;
  private readonly opts: Required<Pick<QmpClientOptions, 'maxLineBytes' | 'maxJsonDepth' | 'maxInFlight' | 'commandTimeoutMs'>> & QmpClientOptions;

  private constructor(
    private readonly socket: Socket,
    readonly transport: QmpTransport,
    opts: QmpClientOptions,
  ) {
    this.opts = { maxLineBytes: DEFAULT_MAX_LINE_BYTES, maxJsonDepth: DEFAULT_MAX_JSON_DEPTH, maxInFlight: 8, commandTimeoutMs: 5000, ...opts };
    this.log = (opts.logger ?? silentLogger).child({ qmp: describeTransport(transport) });
    const report = opts.onDropped ? undefined : new DropReport(this.log);
    this.dropped = opts.onDropped ?? ((d) => report?.note(d));
    socket.on('end', () => this.shutdown(new QmpDisconnectedError('QMP peer closed the connection (EOF)')));
    socket.on('close', () => this.shutdown(new QmpDisconnectedError('QMP connection closed')));
    socket.on('error', (err) => this.shutdown(new QmpDisconnectedError(`QMP socket error: ${err.message}`, { cause: err })));
  }

  /** Connects, reads the greeting and negotiates capabilities. Rejects with a phase-typed error. */
  static async connect(transport: QmpTransport, opts: QmpClientOptions = {}): Promise<QmpClient> {
    let client: QmpClient | undefined;
    const early: Buffer[] = []; // read before the client exists (the greeting may be): copied, the read buffer is shared
    const socket = await openSocket(transport, opts.connectTimeoutMs ?? 2000, (chunk) => (client ? client.onData(chunk) : early.push(Buffer.from(chunk))));
    client = new QmpClient(socket, transport, opts);
    for (const chunk of early.splice(0)) client.onData(chunk);
    try {
      await client.handshake(opts.handshakeTimeoutMs ?? 2000);
      return client;
    } catch (err) {
      client.destroy();
      throw err;
    }
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Commands sent and not yet answered (including abandoned ones). */
  get inFlight(): number {
    return this.commands.inFlight;
  }

  /**
   * Runs one allowlisted command and resolves with its `return` value. Rejects with
   * QmpRefusedError, QmpExecuteError, QmpTimeoutError or QmpDisconnectedError.
   */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, eo: ExecuteOptions = {}): Promise<T> {
    if (!isAllowed(this.opts.allowlist ?? readOnlyAllowlist, command, args)) return Promise.reject(new QmpRefusedError(command));
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = `q${this.nextId++}`;
    const msg = args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
    const timeoutMs = eo.timeoutMs ?? this.opts.commandTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      // The timeout covers waiting for a free slot as well as the round trip.
      const pending: Pending = { id, command, resolve: resolve as (v: unknown) => void, reject, sentAt: 0, deadline: performance.now() + timeoutMs, timeoutMs };
      this.commands.enqueue({ pending, line: encodeCommand(msg), msg });
      this.armTimer(pending.deadline);
      this.schedulePump();
    });
  }

  /** Closes the connection; pending commands fail with QmpDisconnectedError. */
  close(): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.destroy();
    });
  }

  private destroy(): void {
    this.shutdown(new QmpDisconnectedError('QMP connection closed locally'));
    this.socket.destroy();
  }

  private async handshake(timeoutMs: number): Promise<void> {
    const first = await this.nextMessage(timeoutMs);
    if (first instanceof Error) throw new QmpGreetingError(`no valid QMP greeting: ${first.message}`, { cause: first });
    if (first.kind !== 'greeting') throw new QmpGreetingError(`expected the QMP greeting, got a ${first.kind} message`);
    this.greeting = first;
    try {
      await this.send('qmp_capabilities', undefined, timeoutMs);
    } catch (err) {
      throw new QmpNegotiationError(`qmp_capabilities failed: ${(err as Error).message}`, { cause: err });
    }
  }

  private nextMessage(timeoutMs: number): Promise<QmpMessage | QmpError> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.greetingWaiter = undefined;
        resolve(new QmpTimeoutError('greeting', timeoutMs));
      }, timeoutMs);
      this.greetingWaiter = (m) => {
        clearTimeout(timer);
        this.greetingWaiter = undefined;
        resolve(m);
      };
      if (this.closedWith) this.greetingWaiter(this.closedWith);
    });
  }

  private send(command: string, args: Record<string, unknown> | undefined, timeoutMs: number): Promise<unknown> {
    return this.execute(command, args, { timeoutMs });
  }

  /**
   * Commands issued in the same synchronous run (a whole tick) are written with one
   * socket write: the pump runs once, in a microtask.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Writes what may go on the wire, in one write. */
  private pump(): void {
    if (this.closedWith) return;
    const batch = this.commands.takeSendable(this.opts.maxInFlight, performance.now());
    if (batch.length === 0) return;
    let out = '';
    for (const q of batch) {
      this.opts.onTraffic?.('out', q.msg);
      out += q.line;
    }
    this.socket.write(out);
  }

  /**
   * One timer per client instead of one per command (a tick sends 6–8): it is armed
   * for the earliest deadline and, when it fires, expires every command past its
   * deadline and re-arms for the next one.
   */
  private armTimer(deadline: number): void {
    if (this.timer && this.timerAt <= deadline) return;
    clearTimeout(this.timer);
    this.timerAt = deadline;
    this.timer = setTimeout(() => this.expire(), Math.max(0, deadline - performance.now()));
    this.timer.unref?.();
  }

  private expire(): void {
    this.timer = undefined;
    const { expired, next } = this.commands.expire(performance.now());
    for (const p of expired) p.reject(new QmpTimeoutError(p.command, p.timeoutMs));
    if (next < Infinity && !this.closedWith) this.armTimer(next);
  }

  /** A chunk read from the socket (a view of the shared read buffer: nothing may keep it past this call). */
  private onData(chunk: Buffer): void {
    const { state, frames } = pushBytes(this.frame, chunk, this.opts.maxLineBytes);
    this.frame = state;
    for (const f of frames) {
      if (this.closedWith) return;
      if (f.kind === 'error') return this.fail(f.error);
      if (nestsDeeper(f.text, this.opts.maxJsonDepth)) {
        this.tooDeep(f.text);
        continue;
      }
      let msg: QmpMessage;
      try {
        msg = parseMessage(f.text);
      } catch (err) {
        return this.fail(err as QmpProtocolError);
      }
      try {
        this.dispatch(msg, f.text);
      } catch (err) {
        // A throwing handler must not end the read callback (the process, for every VM).
        const what = msg.kind === 'event' ? `event ${msg.event}` : `${msg.kind} message`;
        this.dropped({ reason: 'handler-error', what, error: describeError(err) });
      }
    }
  }

  /** A line nested deeper than maxJsonDepth: an event is dropped; a reply fails its command. */
  private tooDeep(text: string): void {
    const top = topLevel(text);
    const err = new QmpProtocolError('too-deep', `QMP message nested deeper than ${this.opts.maxJsonDepth} levels; not parsed`);
    if (this.greetingWaiter) return this.greetingWaiter(err);
    this.dropped({ reason: 'too-deep', what: top.event !== undefined ? `event ${top.event}` : top.id !== undefined ? `reply ${top.id}` : 'message' });
    if (top.event !== undefined || top.id === undefined) return;
    const p = this.commands.settle(top.id);
    if (p !== undefined && p !== 'late') p.reject(err);
    if (p !== undefined) this.pump();
  }

  private dispatch(msg: QmpMessage, text: string): void {
    if (this.opts.onTraffic) this.opts.onTraffic('in', JSON.parse(text));
    if (this.greetingWaiter) return this.greetingWaiter(msg);
    if (msg.kind === 'event') return this.opts.onEvent?.(msg);
    if (msg.kind === 'greeting') return this.fail(new QmpProtocolError('unknown-message', 'unexpected second QMP greeting'));
    const id = typeof msg.id === 'string' ? msg.id : JSON.stringify(msg.id);
    const p = this.commands.settle(id);
    if (p === undefined) return this.log.warn('QMP reply with unknown id dropped', { id: msg.id ?? null, kind: msg.kind });
    if (p === 'late') {
      this.log.debug('late QMP reply after timeout dropped', { id });
      return this.pump();
    }
    if (msg.kind === 'return') p.resolve(msg.value);
    else p.reject(new QmpExecuteError(p.command, msg.errorClass, msg.desc));
    this.pump();
  }

  private fail(err: QmpProtocolError): void {
    this.log.warn('QMP protocol error; closing', { problem: err.problem, error: err.message });
    this.shutdown(new QmpDisconnectedError(`QMP protocol error: ${err.message}`, { cause: err }));
    this.socket.destroy();
  }

  private shutdown(err: QmpDisconnectedError): void {
    if (this.closedWith) return;
    this.closedWith = err;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const p of this.commands.drain()) p.reject(err);
    this.greetingWaiter?.(err);
    this.opts.onClose?.(err);
  }
}
