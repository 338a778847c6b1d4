/**
 * LibvirtClient: a connection to libvirtd's local socket speaking libvirt's RPC protocol,
 * with the calls the qmpipe agent needs. The handshake is the one virsh performs
 * (src/remote/remote_driver.c doRemoteOpen): AUTH_LIST (a root client gets NONE; POLKIT
 * is bypassed for uid 0, else AUTH_POLKIT is tried; SASL is not supported), CONNECT_OPEN
 * of the URI, then CONNECT_SUPPORTS_FEATURE(PROGRAM_KEEPALIVE) so both sides ping.
 *
 * Events arrive for the callback ids registered on this connection; a libvirtd restart ends
 * the connection (onClose) and with it every registration: reconnect and register again.
 */
import { AuthType, ConnectFlag, DrvFeature, ListDomainsFlag, MessageType, QEMU_PROGRAM, QemuProc, REMOTE_PROGRAM } from './constants.js';
import type { DomainRef } from './domainRef.js';
import { LibvirtConnectError, type LibvirtError } from './errors.js';
import { decodeDomainEvent, deregisterDomainEvent, eventIdOfKind, registerDomainEvent, type DomainEvent } from './events.js';
import type { Message } from './message.js';
import type { Procedure } from './procedure.js';
import {
  decodeMonitorEvent,
  deregisterMonitorEvent,
  monitorCommand,
  registerMonitorEvent,
  type MonitorEventFilter,
  type QemuMonitorEvent,
} from './qemuCalls.js';
import * as remote from './remoteCalls.js';
import { RpcSocket, type RpcSocketOptions } from './rpcSocket.js';
import type { DomainStatsRecord } from './typedParams.js';

export const DEFAULT_SOCKET = '/run/libvirt/libvirt-sock';
export const DEFAULT_URI = 'qemu:///system';

/**
 * The daemon's read-only socket beside its read-write one: libvirtd's libvirt-sock-ro,
 * virtqemud's virtqemud-sock-ro (both `<socket>-ro`). A client of it can open only a
 * read-only connection, and by default any local user may connect to it.
 */
export function readOnlySocketOf(socketPath: string): string {
  return socketPath.endsWith('-ro') ? socketPath : `${socketPath}-ro`;
}

export interface LibvirtClientOptions {
  socketPath?: string;
  uri?: string;
  /** CONNECT_OPEN with VIR_CONNECT_RO: the daemon refuses every call that changes anything (the `stats` mode). */
  readOnly?: boolean;
  connectTimeoutMs?: number;
  callTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCount?: number;
  /** Called with each event that could not be decoded or had no listener (never throws). */
  onDroppedEvent?: (msg: Message, why: string) => void;
  onFrame?: RpcSocketOptions['onFrame'];
}

export interface Subscription {
  readonly callbackId: number;
  /** Deregisters on the daemon (if still connected) and stops delivery. */
  unsubscribe(): Promise<void>;
}

type Listener<E> = (ev: E) => void;

export class LibvirtClient {
  private readonly domainListeners = new Map<number, Listener<DomainEvent>>();
  private readonly monitorListeners = new Map<number, Listener<QemuMonitorEvent>>();
  private rpc!: RpcSocket;

  private constructor(private readonly opts: LibvirtClientOptions) {}

  /** Connects, authenticates and opens `uri`; rejects with LibvirtConnectError. */
  static async connect(opts: LibvirtClientOptions = {}): Promise<LibvirtClient> {
    const client = new LibvirtClient(opts);
    client.rpc = await RpcSocket.open({
      socketPath: opts.socketPath ?? DEFAULT_SOCKET,
      connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
      callTimeoutMs: opts.callTimeoutMs ?? 30_000,
      keepaliveIntervalMs: opts.keepaliveIntervalMs ?? 5_000,
      keepaliveCount: opts.keepaliveCount ?? 5,
      onMessage: (msg) => client.onMessage(msg),
      ...(opts.onFrame ? { onFrame: opts.onFrame } : {}),
    });
    try {
      await client.handshake(opts.uri ?? DEFAULT_URI, opts.readOnly === true ? ConnectFlag.RO : 0);
    } catch (err) {
      client.rpc.destroy();
      throw err instanceof LibvirtConnectError ? err : new LibvirtConnectError(`libvirt handshake failed: ${(err as Error).message}`, { cause: err });
    }
    return client;
  }

  private async handshake(uri: string, flags: number): Promise<void> {
    const auth = await this.rpc.call(remote.authList, undefined);
    if (auth.length > 0 && !auth.includes(AuthType.NONE)) {
      if (!auth.includes(AuthType.POLKIT)) throw new LibvirtConnectError(`libvirtd wants auth types [${auth.join(', ')}]; only none and polkit are supported`);
      await this.rpc.call(remote.authPolkit, undefined);
    }
    await this.rpc.call(remote.connectOpen, { name: uri, flags });
    if (await this.rpc.call(remote.connectSupportsFeature, DrvFeature.PROGRAM_KEEPALIVE)) this.rpc.startKeepalive();
  }

  /** The error that ended the connection, or null while it is open. */
  get closedWith(): LibvirtError | null {
    return this.rpc.closedWith;
  }

  /** Runs once when the connection ends (EOF, error, keepalive, close()); returns an unsubscribe. */
  onClose(listener: (err: LibvirtError) => void): () => void {
    return this.rpc.onClose(listener);
  }

  /** Any procedure, for calls this class has no method for. */
  call<A, R>(proc: Procedure<A, R>, args: A, timeoutMs?: number): Promise<R> {
    return this.rpc.call(proc, args, timeoutMs);
  }

  listAllDomains(flags: number = ListDomainsFlag.ACTIVE): Promise<DomainRef[]> {
    return this.rpc.call(remote.connectListAllDomains, flags);
  }

  lookupDomainByName(name: string): Promise<DomainRef> {
    return this.rpc.call(remote.domainLookupByName, name);
  }

  lookupDomainByUuid(uuid: string): Promise<DomainRef> {
    return this.rpc.call(remote.domainLookupByUuid, uuid);
  }

  getXmlDesc(dom: DomainRef, flags = 0): Promise<string> {
    return this.rpc.call(remote.domainGetXmlDesc, { dom, flags });
  }

  getState(dom: DomainRef): Promise<remote.DomainStateReply> {
    return this.rpc.call(remote.domainGetState, dom);
  }

  getInfo(dom: DomainRef): Promise<remote.DomainInfo> {
    return this.rpc.call(remote.domainGetInfo, dom);
  }

  /** The block job on one disk (by target, e.g. `vda`), if any. */
  getBlockJobInfo(dom: DomainRef, disk: string): Promise<remote.BlockJobInfo> {
    return this.rpc.call(remote.domainGetBlockJobInfo, { dom, path: disk });
  }

  /** virConnectGetAllDomainStats / virDomainListGetStats: `doms` empty = all matching `flags`. */
  getAllDomainStats(doms: DomainRef[], stats: number, flags = 0, timeoutMs?: number): Promise<DomainStatsRecord[]> {
    return this.rpc.call(remote.connectGetAllDomainStats, { doms, stats, flags }, timeoutMs);
  }

  /** QMP passthrough (virDomainQemuMonitorCommand): `cmd` is a QMP command object or its JSON. */
  async qemuMonitorCommand(dom: DomainRef, cmd: string | { execute: string; arguments?: unknown }, timeoutMs?: number): Promise<string> {
    return this.rpc.call(monitorCommand, { dom, cmd: typeof cmd === 'string' ? cmd : JSON.stringify(cmd), flags: 0 }, timeoutMs);
  }

  /** Raw QMP events (virConnectDomainQemuMonitorEventRegister). */
  async subscribeQemuMonitorEvents(filter: MonitorEventFilter, listener: Listener<QemuMonitorEvent>): Promise<Subscription> {
    const callbackId = await this.rpc.call(registerMonitorEvent, filter);
    this.monitorListeners.set(callbackId, listener);
    return this.subscription(callbackId, this.monitorListeners, deregisterMonitorEvent);
  }

  /** Domain events of one kind (virConnectDomainEventRegisterAny); `dom` null = all domains. */
  async subscribeDomainEvents<K extends DomainEvent['kind']>(
    kind: K,
    dom: DomainRef | null,
    listener: Listener<Extract<DomainEvent, { kind: K }>>,
  ): Promise<Subscription> {
    const callbackId = await this.rpc.call(registerDomainEvent, { eventId: eventIdOfKind[kind], dom });
    this.domainListeners.set(callbackId, listener as Listener<DomainEvent>);
    return this.subscription(callbackId, this.domainListeners, deregisterDomainEvent);
  }

  private subscription<E>(callbackId: number, listeners: Map<number, Listener<E>>, deregister: Procedure<number, void>): Subscription {
    return {
      callbackId,
      unsubscribe: async () => {
        if (!listeners.delete(callbackId) || this.rpc.closedWith) return;
        await this.rpc.call(deregister, callbackId);
      },
    };
  }

  /** CONNECT_CLOSE (best effort, 2 s), then ends the socket. Idempotent. */
  async close(): Promise<void> {
    if (this.rpc.closedWith) return;
    await this.rpc.call(remote.connectClose, undefined, 2_000).catch(() => {});
    this.rpc.destroy();
  }

  private onMessage(msg: Message): void {
    const h = msg.header;
    const drop = (why: string): void => this.opts.onDroppedEvent?.(msg, why);
    if (h.type !== MessageType.MESSAGE) return;
    try {
      if (h.prog === QEMU_PROGRAM && h.proc === QemuProc.DOMAIN_MONITOR_EVENT) {
        const ev = decodeMonitorEvent(msg.payload);
        const l = this.monitorListeners.get(ev.callbackId);
        return l ? l(ev) : drop(`no listener for monitor callback ${ev.callbackId}`);
      }
      if (h.prog === REMOTE_PROGRAM) {
        const ev = decodeDomainEvent(h.proc, msg.payload);
        if (!ev) return drop(`remote event proc ${h.proc} not decoded by this client`);
        const l = this.domainListeners.get(ev.callbackId);
        return l ? l(ev) : drop(`no listener for domain callback ${ev.callbackId}`);
      }
      drop(`event of program ${h.prog} proc ${h.proc}`);
    } catch (err) {
      // A bad event or a throwing listener must not end the connection.
      drop(`event failed: ${(err as Error)?.message ?? String(err)}`);
    }
  }
}
