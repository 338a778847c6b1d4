/**
 * VmPoller: the poll loop (pollLoop.ts) over QMP (qmpSource.ts), on the VM's own socket or
 * QEMU's monitor through libvirt (`target.open`, the `qmp` mode). libvirt's `stats` mode
 * is the same loop over libvirt/statsSource.ts.
 */
import { PollLoop } from './pollLoop.js';
import type { PollerDeps, PollerOptions } from './options.js';
import { QmpSource } from './qmpSource.js';
import type { VmTarget } from './vmTarget.js';

export type { Poller, PollerDeps, PollerOptions, PollerState } from './options.js';

export class VmPoller<S = unknown> extends PollLoop {
  constructor(target: VmTarget, opts: PollerOptions, deps: PollerDeps<S>) {
    super(target, opts, deps, new QmpSource(target, opts, deps));
  }
}
