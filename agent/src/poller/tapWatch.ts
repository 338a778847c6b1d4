/**
 * The taps of one connection's QEMU, found on the host (host/taps.ts) for a VM on its own
 * monitor whose config lists none. Re-read:
 *
 * - at every connect (a reconnect after a QEMU restart finds the new process);
 * - on every slow tick (sampling.slowIntervalMs, 10 s by default): a hot-plugged NIC
 *   (netdev_add of a tap, then device_add) raises no event of its own, so its counters
 *   appear at most one slow interval (plus a fast tick) after the netdev is added;
 * - at the next tick after NIC_RX_FILTER_CHANGED (the guest's driver brought a virtio NIC
 *   up, e.g. the hot-plugged one) or DEVICE_DELETED (a NIC unplugged).
 *
 * A tap that is gone is simply not read (sysfs has no such interface); names that are not
 * interface names are counted (qmpipe_agent_tap_names_rejected_total) and not read.
 */
import type { Logger } from '#common/log.js';
import type { HostReader } from '../host/sysfs.js';

const NIC_EVENTS: ReadonlySet<string> = new Set(['NIC_RX_FILTER_CHANGED', 'DEVICE_DELETED']);

/** Whether a QMP event may mean a NIC came or went. */
export function isNicEvent(event: string): boolean {
  return NIC_EVENTS.has(event);
}

export class TapWatch {
  private due = true;
  private current: readonly string[] = [];
  private warned = false;

  constructor(
    private readonly threadIds: readonly number[],
    private readonly reader: HostReader,
    private readonly onRejected: (count: number) => void,
    private readonly log: Logger,
  ) {}

  /** A QMP event of this connection. */
  event(name: string): void {
    if (isNicEvent(name)) this.due = true;
  }

  /** The taps to read this tick: re-scanned when due (connect, a NIC event) or on a slow tick. */
  taps(slow: boolean): readonly string[] {
    if (!this.due && !slow) return this.current;
    this.due = false;
    const scan = this.reader.qemuTaps(this.threadIds);
    if (scan === undefined) {
      // Unreadable now: keep what was found; say so once per connection.
      if (!this.warned) this.log.warn("QEMU's tap interfaces cannot be read on this host (needs QEMU's user, root or CAP_SYS_PTRACE): list them in net");
      this.warned = true;
      return this.current;
    }
    if (scan.rejected > 0) this.onRejected(scan.rejected);
    if (scan.taps.join('\n') !== this.current.join('\n')) this.log.info('tap interfaces found on the host', { taps: scan.taps });
    this.current = scan.taps;
    return this.current;
  }
}
