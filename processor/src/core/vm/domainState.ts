/**
 * The VM's run state as libvirt numbers it (`virsh domstats` state.state and state.reason),
 * from a Sample's QMP run state (query-status `status`), the way libvirt's QEMU driver does:
 * qemuMonitorVMStatusToPausedReason (src/qemu/qemu_monitor.c) gives the paused reason of a
 * status, and qemuProcessUpdateState turns a stopped VM whose reason is shutting-down into
 * state shutdown and one whose reason is crashed into state crashed (panicked). Numbers:
 * virDomainState and the per-state reason enums of include/libvirt/libvirt-domain.h.
 *
 * query-status says nothing of why a VM runs: libvirt knows from its own history (booted,
 * migrated, restored). Here a running VM's reason is unpaused after a paused one, wakeup
 * after a suspended one, and otherwise stays what it was (unknown, 0, at first sight).
 * Pure.
 */

/** virDomainState. */
export const DomainState = {
  NOSTATE: 0,
  RUNNING: 1,
  BLOCKED: 2,
  PAUSED: 3,
  SHUTDOWN: 4,
  SHUTOFF: 5,
  CRASHED: 6,
  PMSUSPENDED: 7,
} as const;

/** virDomainRunningReason (those reachable here). */
const RUNNING_UNKNOWN = 0;
const RUNNING_UNPAUSED = 5;
const RUNNING_WAKEUP = 8;

/** virDomainPausedReason. */
const PausedReason = { UNKNOWN: 0, USER: 1, MIGRATION: 2, SAVE: 3, IOERROR: 5, WATCHDOG: 6 } as const;

/** [state, reason] of each stopped QMP run state (qapi/run-state.json RunState). */
const STOPPED = new Map<string, readonly [number, number]>([
  ['debug', [DomainState.PAUSED, PausedReason.UNKNOWN]],
  ['internal-error', [DomainState.PAUSED, PausedReason.UNKNOWN]],
  ['restore-vm', [DomainState.PAUSED, PausedReason.UNKNOWN]],
  ['inmigrate', [DomainState.PAUSED, PausedReason.MIGRATION]],
  ['postmigrate', [DomainState.PAUSED, PausedReason.MIGRATION]],
  ['finish-migrate', [DomainState.PAUSED, PausedReason.MIGRATION]],
  ['io-error', [DomainState.PAUSED, PausedReason.IOERROR]],
  ['paused', [DomainState.PAUSED, PausedReason.USER]],
  ['prelaunch', [DomainState.PAUSED, PausedReason.USER]],
  ['save-vm', [DomainState.PAUSED, PausedReason.SAVE]],
  ['watchdog', [DomainState.PAUSED, PausedReason.WATCHDOG]],
  // VIR_DOMAIN_PAUSED_SHUTTING_DOWN → VIR_DOMAIN_SHUTDOWN_UNKNOWN.
  ['shutdown', [DomainState.SHUTDOWN, 0]],
  // VIR_DOMAIN_PAUSED_CRASHED → VIR_DOMAIN_CRASHED_PANICKED.
  ['guest-panicked', [DomainState.CRASHED, 1]],
  // Guest S3: libvirt follows QEMU's SUSPEND event to pmsuspended (VIR_DOMAIN_PMSUSPENDED_UNKNOWN).
  ['suspended', [DomainState.PMSUSPENDED, 0]],
  // colo and any status libvirt does not know: "unknown VM status" → paused, unknown.
]);

/** A Sample's [state.state, state.reason], given the VM's previous ones (-1: none yet). */
export function domainStateOf(status: string, prevState: number, prevReason: number): readonly [number, number] {
  if (status === 'running') {
    if (prevState === DomainState.PAUSED) return [DomainState.RUNNING, RUNNING_UNPAUSED];
    if (prevState === DomainState.PMSUSPENDED) return [DomainState.RUNNING, RUNNING_WAKEUP];
    return [DomainState.RUNNING, prevState === DomainState.RUNNING && prevReason >= 0 ? prevReason : RUNNING_UNKNOWN];
  }
  return STOPPED.get(status) ?? [DomainState.PAUSED, PausedReason.UNKNOWN];
}
