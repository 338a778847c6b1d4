/**
 * Which disks of a domain to ask virDomainGetBlockJobInfo about on a tick (the `stats`
 * mode). libvirt tells when a block job ends or a mirror is ready (BLOCK_JOB_2) but not
 * when one starts, so: every disk on the slow grid, and on every tick the disks where a
 * job was last found or announced ready. A disk leaves the set when the job is found gone
 * or announced ended. State only; no I/O.
 */

/** virConnectDomainEventBlockJobStatus (libvirt-domain.h). */
const JOB_READY = 3;

export class JobWatch {
  /** Disks (targets, `vda`) where a job may be running. */
  private readonly running = new Set<string>();

  /** A new connection: nothing known. */
  reset(): void {
    this.running.clear();
  }

  /** The disks to ask about this tick, of the domain's `disks`. */
  disks(disks: readonly string[], slow: boolean): string[] {
    return slow ? [...disks] : disks.filter((d) => this.running.has(d));
  }

  /** What virDomainGetBlockJobInfo said of `disk`. */
  found(disk: string, running: boolean): void {
    if (running) this.running.add(disk);
    else this.running.delete(disk);
  }

  /** A BLOCK_JOB_2 event of `disk` (its target) with its status: ready keeps the job watched, the rest end it. */
  announced(disk: string, status: number): void {
    this.found(disk, status === JOB_READY);
  }
}
