/**
 * Read-only by construction: the agent may only send commands on this list. The
 * check runs in `QmpClient.execute` before anything is written, so a bug elsewhere
 * can never change a VM's state.
 *
 *   always   qmp_capabilities, query-*
 *   opt-in   block-set-write-threshold (arming thresholds; off unless configured)
 */
export type OptionalCommand = 'block-set-write-threshold';

export interface Allowlist {
  readonly optional: ReadonlySet<OptionalCommand>;
}

export function createAllowlist(optional: readonly OptionalCommand[] = []): Allowlist {
  return { optional: new Set(optional) };
}

export const readOnlyAllowlist: Allowlist = createAllowlist();

const QUERY = /^query-[a-z0-9-]+$/;

/** Whether `command` may be sent. Pure; case-sensitive, as QMP is. */
export function isAllowed(list: Allowlist, command: string): boolean {
  if (command === 'qmp_capabilities') return true;
  if (QUERY.test(command)) return true;
  return list.optional.has(command as OptionalCommand);
}
