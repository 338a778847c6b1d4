/**
 * A QMP session to one domain through libvirt (the agent's `qmp` mode): each command goes
 * out as `virDomainQemuMonitorCommand` (QEMU_PROC_DOMAIN_MONITOR_COMMAND) on the host's
 * one libvirt connection, and QEMU's raw events come back through the QEMU monitor event
 * registration (LibvirtHost). libvirt runs them on its own monitor connection, serialized
 * per domain, so the domain needs no second monitor and its XML is untouched. libvirt
 * marks the domain tainted `custom-monitor` on the first passthrough command (a note in
 * the domain log, no other effect); the `stats` mode avoids it.
 *
 * The same contract as a QmpClient on a socket (qmp/session.ts): the read-only allowlist
 * is checked before a command leaves the agent; a QMP error reply is a QmpExecuteError;
 * a lost libvirt connection or a domain that stopped running fails the command with a
 * QmpDisconnectedError and closes the session (the poller reconnects with backoff).
 * There is no greeting through libvirt: it is built from query-version. Replies and
 * events nested deeper than `maxJsonDepth` are not parsed, and a throwing event handler
 * never reaches libvirt's read path (shared by every domain): as on a socket (client.ts).
 */
import { describeError } from '#common/errors.js';
import { silentLogger } from '#common/log.js';
import { isAllowed, readOnlyAllowlist } from '../qmp/allowlist.js';
import { DEFAULT_MAX_JSON_DEPTH, nestsDeeper } from '../qmp/depth.js';
import { DropReport, type QmpDrop } from '../qmp/dropReport.js';
import type { ExecuteOptions, QmpClientOptions } from '../qmp/client.js';
import { QmpConnectError, QmpDisconnectedError, QmpExecuteError, QmpProtocolError, QmpRefusedError, QmpTimeoutError, type QmpError } from '../qmp/errors.js';
import type { QmpEventMessage, QmpGreeting } from '../qmp/messages.js';
import type { QmpSession } from '../qmp/session.js';
import type { DomainRef } from './domainRef.js';
import { isDomainGone, LibvirtDisconnectedError, LibvirtRemoteError, LibvirtTimeoutError } from './errors.js';
import type { LibvirtHost } from './host.js';
import type { QemuMonitorEvent } from './qemuCalls.js';

/** A raw QMP event from libvirt as the QMP client would have parsed it; undefined when its data nests deeper than `maxDepth`. */
export function toEventMessage(ev: QemuMonitorEvent, maxDepth = DEFAULT_MAX_JSON_DEPTH): QmpEventMessage | undefined {
  let data: Record<string, unknown> = {};
  if (ev.details !== null) {
    if (nestsDeeper(ev.details, maxDepth)) return undefined;
    try {
      const parsed = JSON.parse(ev.details) as unknown;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) data = parsed as Record<string, unknown>;
    } catch {
      // data stays empty; the event name and time still count
    }
  }
  return { kind: 'event', event: ev.event, data, timestamp: { seconds: Number(ev.seconds), microseconds: ev.micros } };
}

/** A QMP reply text from libvirt → its `return` value, or a typed error. Pure. */
export function parseMonitorReply(command: string, text: string, maxDepth = DEFAULT_MAX_JSON_DEPTH): unknown {
  if (nestsDeeper(text, maxDepth)) throw new QmpProtocolError('too-deep', `${command}: reply nested deeper than ${maxDepth} levels; not parsed`);
  let reply: unknown;
  try {
    reply = JSON.parse(text);
  } catch (cause) {
    throw new QmpProtocolError('invalid-json', `${command}: libvirt returned a reply that is not JSON`, { cause });
  }
  if (typeof reply !== 'object' || reply === null) throw new QmpProtocolError('not-an-object', `${command}: libvirt returned a reply that is not an object`);
  const r = reply as { return?: unknown; error?: { class?: unknown; desc?: unknown } };
  if (r.error !== undefined) throw new QmpExecuteError(command, String(r.error.class ?? 'GenericError'), String(r.error.desc ?? ''));
  if (!('return' in r)) throw new QmpProtocolError('unknown-message', `${command}: reply has neither return nor error`);
  return r.return;
}

class MonitorSession implements QmpSession {
  greeting!: QmpGreeting;
  private closedWith: QmpError | undefined;
  private nextId = 0;
  private readonly unsubscribe: Array<() => void> = [];

  private readonly opts: QmpClientOptions;
  private readonly dropped: (drop: QmpDrop) => void;

  constructor(
    private readonly host: LibvirtHost,
    private readonly dom: DomainRef,
    opts: QmpClientOptions,
  ) {
    this.opts = { ...opts };
    const report = opts.onDropped ? undefined : new DropReport((opts.logger ?? silentLogger).child({ domain: dom.name }));
    this.dropped = opts.onDropped ?? ((d) => report?.note(d));
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  async open(): Promise<void> {
    const client = this.host.client;
    if (!client) throw new QmpConnectError(`libvirt is not connected; domain ${this.dom.name} unreachable`);
    this.unsubscribe.push(client.onClose((err) => this.end(new QmpDisconnectedError(`libvirt connection lost: ${err.message}`, { cause: err }))));
    this.unsubscribe.push(this.host.onMonitorEvent(this.dom.uuid, (ev) => this.event(ev)));
    // The handshake's query-version is not traffic of the tick: a transcript gets the greeting it stands for.
    const traffic = this.opts.onTraffic;
    let version: { qemu: QmpGreeting['version']; package?: string };
    try {
      this.opts.onTraffic = undefined;
      version = await this.execute('query-version', undefined, { timeoutMs: this.opts.handshakeTimeoutMs });
    } finally {
      this.opts.onTraffic = traffic;
    }
    this.greeting = { kind: 'greeting', version: version.qemu, package: version.package ?? '', capabilities: [] };
    traffic?.('in', { QMP: { version: { qemu: version.qemu, package: this.greeting.package }, capabilities: [] } });
  }

  async execute<T = unknown>(command: string, args?: Record<string, unknown>, eo: ExecuteOptions = {}): Promise<T> {
    if (!isAllowed(this.opts.allowlist ?? readOnlyAllowlist, command, args)) throw new QmpRefusedError(command);
    if (this.closedWith) throw this.closedWith;
    const client = this.host.client;
    if (!client) throw this.end(new QmpDisconnectedError('libvirt is not connected'));
    const id = `l${this.nextId++}`;
    const msg = args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
    this.opts.onTraffic?.('out', msg);
    const timeoutMs = eo.timeoutMs ?? this.opts.commandTimeoutMs ?? 2_000;
    let text: string;
    try {
      text = await client.qemuMonitorCommand(this.dom, args === undefined ? { execute: command } : { execute: command, arguments: args }, timeoutMs);
    } catch (err) {
      throw this.failure(command, timeoutMs, err);
    }
    let value: unknown;
    try {
      value = parseMonitorReply(command, text, this.opts.maxJsonDepth);
    } catch (err) {
      if (err instanceof QmpExecuteError) this.opts.onTraffic?.('in', { error: { class: err.errorClass, desc: err.desc }, id });
      throw err;
    }
    this.opts.onTraffic?.('in', { return: value, id });
    return value as T;
  }

  async close(): Promise<void> {
    this.end(new QmpDisconnectedError('session closed'));
  }

  private failure(command: string, timeoutMs: number, err: unknown): QmpError {
    if (err instanceof LibvirtTimeoutError) return new QmpTimeoutError(command, timeoutMs, { cause: err });
    if (isDomainGone(err)) {
      return this.end(new QmpDisconnectedError(`domain ${this.dom.name}: ${err.remote.message ?? 'not running'}`, { cause: err }));
    }
    if (err instanceof LibvirtRemoteError)
      return new QmpExecuteError(command, 'LibvirtError', err.remote.message ?? `libvirt error ${err.remote.code}`, { cause: err });
    if (err instanceof LibvirtDisconnectedError) return this.end(new QmpDisconnectedError(`libvirt connection lost: ${err.message}`, { cause: err }));
    return this.end(new QmpDisconnectedError(`libvirt call failed: ${(err as Error).message}`, { cause: err }));
  }

  private event(ev: QemuMonitorEvent): void {
    if (this.closedWith) return;
    const msg = toEventMessage(ev, this.opts.maxJsonDepth);
    if (!msg) return this.dropped({ reason: 'too-deep', what: `event ${ev.event}` });
    try {
      this.opts.onTraffic?.('in', { event: msg.event, data: msg.data, timestamp: msg.timestamp });
      this.opts.onEvent?.(msg);
    } catch (err) {
      this.dropped({ reason: 'handler-error', what: `event ${msg.event}`, error: describeError(err) });
    }
  }

  private end(err: QmpError): QmpError {
    if (this.closedWith) return this.closedWith;
    this.closedWith = err;
    for (const u of this.unsubscribe.splice(0)) u();
    this.opts.onClose?.(err);
    return err;
  }
}

/** Opens a session to `dom` on the host's libvirt connection (rejects with a QmpConnectError while it is down). */
export async function openMonitorSession(host: LibvirtHost, dom: DomainRef, opts: QmpClientOptions): Promise<QmpSession> {
  const s = new MonitorSession(host, dom, opts);
  try {
    await s.open();
  } catch (err) {
    await s.close();
    throw err;
  }
  return s;
}
