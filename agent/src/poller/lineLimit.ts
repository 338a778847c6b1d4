/**
 * A VM's QMP line limit: starts at `maxLineBytes`; a longer reply (a VM with hundreds of
 * disks) doubles it, up to `maxLineBytesCeiling`, and the VM is re-connected at once.
 * At the ceiling the VM cannot be sampled: a protocol error like any other.
 */
export class LineLimit {
  bytes: number;

  constructor(
    private readonly maxLineBytes: number,
    private readonly maxLineBytesCeiling: number,
  ) {
    this.bytes = maxLineBytes;
  }

  /** Doubles the limit up to the ceiling; false when it is there already. */
  raise(): boolean {
    const ceiling = Math.max(this.maxLineBytes, this.maxLineBytesCeiling);
    if (this.bytes >= ceiling) return false;
    this.bytes = Math.min(ceiling, this.bytes * 2);
    return true;
  }
}
