/**
 * LibvirtHost: the agent's one connection to libvirtd on this host, kept up. Every
 * domain's requests are pipelined on it (libvirtd runs them on worker threads and
 * serializes only per domain, so a slow domain delays only its own calls). Events
 * are registered once per connection for all domains and handed to per-domain
 * listeners: raw QMP events (the `qmp` mode's events) and domain events (lifecycle for
 * discovery; IO errors, thresholds and block jobs for the `stats` mode).
 *
 * When libvirtd restarts, the connection ends: every session on it fails with a
 * disconnect (its poller reconnects with backoff), the host reconnects with the same
 * backoff, registers the events again and tells its listeners (`onUp`).
 */
import { describeError } from '#common/errors.js';
import { silentLogger, type Logger } from '#common/log.js';
import { backoffDelay, type RetryPolicy } from '#common/retry.js';
import { sleep } from '#common/sleep.js';
import { LibvirtClient, type LibvirtClientOptions } from './client.js';
import type { DomainRef } from './domainRef.js';
import type { DomainEvent } from './events.js';
import type { QemuMonitorEvent } from './qemuCalls.js';

export interface LibvirtHostOptions {
  uri: string;
  socketPath: string;
  /** A read-only connection (CONNECT_OPEN with VIR_CONNECT_RO), for the `stats` mode. */
  readOnly: boolean;
  callTimeoutMs: number;
  reconnect: RetryPolicy;
  logger?: Logger;
  /** For tests: how to connect. */
  connect?: (opts: LibvirtClientOptions) => Promise<LibvirtClient>;
}

type DomainEventKind = DomainEvent['kind'];
const DOMAIN_EVENTS: readonly DomainEventKind[] = ['lifecycle', 'ioErrorReason', 'blockThreshold', 'blockJob2'];

export class LibvirtHost {
  private current: LibvirtClient | null = null;
  /** Aborted by stop: ends the wait before a reconnect. */
  private readonly lifetime = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly monitorListeners = new Map<string, Set<(ev: QemuMonitorEvent) => void>>();
  private readonly domainListeners = new Set<(ev: DomainEvent) => void>();
  private readonly upListeners = new Set<(client: LibvirtClient) => void>();
  private readonly log: Logger;

  constructor(private readonly opts: LibvirtHostOptions) {
    this.log = (opts.logger ?? silentLogger).child({ libvirt: opts.uri });
  }

  /** The connected client, or null while libvirtd is unreachable. */
  get client(): LibvirtClient | null {
    return this.current;
  }

  start(): void {
    this.loop ??= this.run();
  }

  private get stopped(): boolean {
    return this.lifetime.signal.aborted;
  }

  async stop(): Promise<void> {
    this.lifetime.abort();
    await this.current?.close();
    await this.loop;
  }

  /** Raw QMP events of one domain (by uuid); returns an unsubscribe. */
  onMonitorEvent(uuid: string, listener: (ev: QemuMonitorEvent) => void): () => void {
    let set = this.monitorListeners.get(uuid);
    if (!set) this.monitorListeners.set(uuid, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.monitorListeners.delete(uuid);
    };
  }

  /** Domain events of every domain; returns an unsubscribe. */
  onDomainEvent(listener: (ev: DomainEvent) => void): () => void {
    this.domainListeners.add(listener);
    return () => this.domainListeners.delete(listener);
  }

  /** Called with the client on every (re)connection, after the events are registered. */
  onUp(listener: (client: LibvirtClient) => void): () => void {
    this.upListeners.add(listener);
    if (this.current) listener(this.current);
    return () => this.upListeners.delete(listener);
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      try {
        const client = await this.open();
        attempt = 0;
        await new Promise<void>((resolve) => {
          client.onClose((err) => {
            if (!this.stopped) this.log.warn('libvirt connection lost; reconnecting', { error: describeError(err) });
            resolve();
          });
        });
      } catch (err) {
        if (this.stopped) break;
        this.log.warn('libvirt unreachable; will retry', { error: describeError(err), attempt });
      }
      this.current = null;
      if (this.stopped) break;
      await sleep(backoffDelay(this.opts.reconnect, Math.min(attempt++, 30)), this.lifetime.signal);
    }
  }

  private async open(): Promise<LibvirtClient> {
    const connect = this.opts.connect ?? ((o: LibvirtClientOptions) => LibvirtClient.connect(o));
    const client = await connect({
      uri: this.opts.uri,
      socketPath: this.opts.socketPath,
      readOnly: this.opts.readOnly,
      callTimeoutMs: this.opts.callTimeoutMs,
    });
    try {
      // QEMU's monitor events belong to the monitor passthrough (the `qmp` mode), which libvirt
      // allows only on a read-write connection; a read-only host (`stats`) has domain events only.
      if (!this.opts.readOnly) await client.subscribeQemuMonitorEvents({ dom: null, event: null, flags: 0 }, (ev) => this.monitorEvent(ev));
      for (const kind of DOMAIN_EVENTS) await client.subscribeDomainEvents(kind, null, (ev) => this.domainEvent(ev));
    } catch (err) {
      await client.close();
      throw err;
    }
    this.current = client;
    this.log.info('libvirt connected', { socket: this.opts.socketPath, readOnly: this.opts.readOnly });
    for (const l of this.upListeners) l(client);
    return client;
  }

  private monitorEvent(ev: QemuMonitorEvent): void {
    for (const l of this.monitorListeners.get(ev.domain.uuid) ?? []) l(ev);
  }

  private domainEvent(ev: DomainEvent): void {
    for (const l of this.domainListeners) l(ev);
  }
}

/** The domain reference libvirt calls want, from what discovery knows. */
export function domainRef(name: string, uuid: string): DomainRef {
  return { name, uuid, id: -1 };
}
