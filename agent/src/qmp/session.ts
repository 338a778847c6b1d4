/**
 * What the poller needs of a QMP connection: a `QmpClient` on the VM's own socket, or
 * QEMU's monitor reached through libvirt (agent/src/libvirt/monitorSession.ts). Both
 * check the read-only allowlist before a command leaves the agent, deliver events in
 * arrival order to `QmpClientOptions.onEvent`, and fail every pending command with a
 * `QmpDisconnectedError` when the connection ends, then call `onClose` once.
 */
import type { ExecuteOptions, QmpClientOptions } from './client.js';
import type { QmpGreeting } from './messages.js';

export interface QmpSession {
  /** The greeting (a libvirt session builds it from query-version). */
  readonly greeting: QmpGreeting;
  readonly closed: boolean;
  /** One allowlisted command's `return` value; rejects with the typed errors of qmp/errors.ts. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, opts?: ExecuteOptions): Promise<T>;
  close(): Promise<void>;
}

/** Opens a session to one VM with the poller's options. */
export type OpenSession = (opts: QmpClientOptions) => Promise<QmpSession>;
