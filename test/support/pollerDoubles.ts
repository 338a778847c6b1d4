/**
 * Unit-test doubles at the poll loop's transport interfaces, for the sources' contract
 * test (agent/src/poller/pollerContract.test.ts): one fake VM behind
 *
 * - `SessionDouble`: a QmpSession (the socket source's interface, qmp/session.ts);
 * - `LibvirtDouble`: the host's libvirt connection (LibvirtHost's `client`, monitor and
 *   domain event listeners), answering QMP passthrough (the `qmp` mode, through the real
 *   monitorSession.ts) and bulk stats (the `stats` mode).
 *
 * The VM can stop answering (every call fails as timed out), hold its answers until
 * released, and emit events; a connection can end (EOF, libvirtd restarting).
 */
import type { PollerOptions } from '#agent/poller/options.js';
import type { QmpClientOptions } from '#agent/qmp/client.js';
import { QmpDisconnectedError, QmpExecuteError, QmpTimeoutError } from '#agent/qmp/errors.js';
import type { QmpGreeting } from '#agent/qmp/messages.js';
import type { QmpSession } from '#agent/qmp/session.js';
import type { DomainRef } from '#agent/libvirt/domainRef.js';
import { LibvirtDisconnectedError, LibvirtTimeoutError, type LibvirtError } from '#agent/libvirt/errors.js';
import type { DomainEvent } from '#agent/libvirt/events.js';
import { testPollerOptions as pollerOptions } from './pollerOptions.js';
import type { QemuMonitorEvent } from '#agent/libvirt/qemuCalls.js';
import type { BlockJobInfo } from '#agent/libvirt/remoteCalls.js';
import type { DomainStatsRecord, TypedParam } from '#agent/libvirt/typedParams.js';

/** Poller options for tests on doubles: shorter intervals and time-outs than on real QMP servers (the contract test's). */
export const testPollerOptions: PollerOptions = pollerOptions({
  fastIntervalMs: 10,
  slowIntervalMs: 40,
  blockstatsNodes: false,
  commandTimeoutMs: 100,
  connectTimeoutMs: 100,
  handshakeTimeoutMs: 100,
  staleAfterMissedTicks: 3,
  maxEventsPerSecond: 10,
  reconnect: { initialRetryTime: 5, multiplier: 2, factor: 0.2, maxRetryTime: 20, retries: 5 },
});

export const dom: DomainRef = { name: 'contract-vm', uuid: '5a1e0c2d-7f3b-4c1a-9d2e-6b8f0a4c3e21', id: 1 };

export const domainXml = `<domain type='kvm' id='1'><name>${dom.name}</name><uuid>${dom.uuid}</uuid><devices>
  <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/img/top.qcow2' index='1'/>
  <target dev='vda' bus='virtio'/><alias name='virtio-disk0'/></disk></devices></domain>`;

const u = (field: string, value: number): TypedParam => ({ field, value: { type: 'ullong', value: BigInt(value) } });
/** A one-disk stats record as libvirt fills it, with counters at `n`. */
export const statsParams = (n: number): TypedParam[] => [
  { field: 'state.state', value: { type: 'int', value: 1 } },
  { field: 'state.reason', value: { type: 'int', value: 1 } },
  { field: 'block.count', value: { type: 'uint', value: 1 } },
  { field: 'block.0.name', value: { type: 'string', value: 'vda' } },
  { field: 'block.0.path', value: { type: 'string', value: '/img/top.qcow2' } },
  { field: 'block.0.backingIndex', value: { type: 'uint', value: 1 } },
  u('block.0.wr.reqs', n),
  u('block.0.wr.bytes', 4096 * n),
];

/** One VM: its QMP answers, whether it answers, answers held back, its events' listeners. */
export class FakeVm {
  answering = true;
  /** Calls received (QMP command names, `stats`, `xml`). */
  calls = 0;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  /** Answers wait until `release()`. */
  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  /** Waits for the gate; rejects as `timeout` would while the VM does not answer. */
  async call<T>(what: string, timeout: (what: string) => Error, answer: () => T): Promise<T> {
    this.calls++;
    if (this.gate) await this.gate;
    if (!this.answering) throw timeout(what);
    return answer();
  }

  qmp(command: string): unknown {
    switch (command) {
      case 'query-uuid':
        return { UUID: dom.uuid };
      case 'query-name':
        return { name: dom.name };
      case 'query-status':
        return { status: 'running', running: true };
      case 'query-version':
        return { qemu: { major: 8, minor: 2, micro: 0 }, package: '' };
      case 'query-stats-schemas':
      case 'query-stats':
        throw new QmpExecuteError(command, 'CommandNotFound', `The command ${command} has not been found`);
      default:
        return [];
    }
  }
}

/** A QmpSession on the fake VM (the socket source's transport). */
export class SessionDouble implements QmpSession {
  readonly greeting: QmpGreeting = { kind: 'greeting', version: { major: 8, minor: 2, micro: 0 }, package: '', capabilities: [] };
  closed = false;

  constructor(
    private readonly vm: FakeVm,
    private readonly opts: QmpClientOptions,
  ) {}

  async execute<T = unknown>(command: string): Promise<T> {
    const value = await this.vm.call(
      command,
      (c) => new QmpTimeoutError(c, 100),
      () => this.vm.qmp(command),
    );
    if (this.closed) throw new QmpDisconnectedError('session closed');
    return value as T;
  }

  event(name: string): void {
    if (!this.closed)
      this.opts.onEvent?.({
        kind: 'event',
        event: name,
        data: { device: 'vda', operation: 'write', action: 'report' },
        timestamp: { seconds: 1, microseconds: 0 },
      });
  }

  /** EOF. */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.opts.onClose?.(new QmpDisconnectedError('EOF'));
  }

  async close(): Promise<void> {
    this.end();
  }
}

/** One libvirt connection's calls, on the fake VM. */
class ClientDouble {
  private readonly closeListeners = new Set<(err: LibvirtError) => void>();

  constructor(private readonly vm: FakeVm) {}

  private call<T>(what: string, answer: () => T): Promise<T> {
    return this.vm.call(what, (w) => new LibvirtTimeoutError(`${w}: no reply`), answer);
  }

  qemuMonitorCommand(_dom: DomainRef, cmd: { execute: string }): Promise<string> {
    return this.call(cmd.execute, () => {
      try {
        return JSON.stringify({ return: this.vm.qmp(cmd.execute) });
      } catch (err) {
        const e = err as QmpExecuteError;
        return JSON.stringify({ error: { class: e.errorClass, desc: e.desc } });
      }
    });
  }

  getAllDomainStats(doms: DomainRef[]): Promise<DomainStatsRecord[]> {
    return this.call('stats', () => doms.map((d) => ({ domain: d, params: statsParams(this.vm.calls) })));
  }

  getXmlDesc(): Promise<string> {
    return this.call('xml', () => domainXml);
  }

  getBlockJobInfo(): Promise<BlockJobInfo> {
    return Promise.resolve({ found: false, type: 0, bandwidth: 0n, cur: 0n, end: 0n });
  }

  onClose(listener: (err: LibvirtError) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  end(): void {
    for (const l of [...this.closeListeners]) l(new LibvirtDisconnectedError('EOF'));
    this.closeListeners.clear();
  }
}

/** The host's libvirt connection (LibvirtHost's interface) on the fake VM. */
export class LibvirtDouble {
  client: ClientDouble | null;
  private readonly monitorListeners = new Set<(ev: QemuMonitorEvent) => void>();
  private readonly domainListeners = new Set<(ev: DomainEvent) => void>();

  constructor(private readonly vm: FakeVm) {
    this.client = new ClientDouble(vm);
  }

  onMonitorEvent(_uuid: string, listener: (ev: QemuMonitorEvent) => void): () => void {
    this.monitorListeners.add(listener);
    return () => this.monitorListeners.delete(listener);
  }

  onDomainEvent(listener: (ev: DomainEvent) => void): () => void {
    this.domainListeners.add(listener);
    return () => this.domainListeners.delete(listener);
  }

  /** BLOCK_IO_ERROR: raw through the monitor (qmp mode) and as libvirt's IO_ERROR_REASON (stats mode). */
  ioError(): void {
    const details = JSON.stringify({ device: 'vda', operation: 'write', action: 'report' });
    for (const l of [...this.monitorListeners]) l({ callbackId: 1, domain: dom, event: 'BLOCK_IO_ERROR', seconds: 1n, micros: 0, details });
    for (const l of [...this.domainListeners])
      l({ kind: 'ioErrorReason', callbackId: 2, domain: dom, srcPath: '/img/top.qcow2', devAlias: 'virtio-disk0', action: 2, reason: 'eio' });
  }

  /** libvirtd restarts: the connection ends, a new one is up. */
  restart(): void {
    const old = this.client;
    this.client = new ClientDouble(this.vm);
    old?.end();
  }
}
