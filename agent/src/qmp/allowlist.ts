/**
 * Read-only by construction: the agent may only send the commands it is built to send,
 * with the arguments it sends them with. The check runs in `QmpClient.execute` before
 * anything is written, so a bug elsewhere can never change a VM's state, nor run a
 * query that is not free (`query-cpus` interrupts every vCPU on older QEMU; others walk
 * guest memory or the whole QAPI schema).
 *
 *   always   qmp_capabilities                     (no arguments)
 *            query-status, query-name, query-uuid, query-cpus-fast, query-block,
 *            query-block-jobs, query-version      (no arguments; query-version: the greeting of a
 *                                                  session through libvirt, which has none)
 *            query-stats-schemas                  {provider?: str}
 *            query-stats                          {target: str, providers?: [{provider: str, names?: [str]}]}
 *            query-blockstats                     {query-nodes?: bool}
 *            query-named-block-nodes              {flat?: bool}
 *            query-balloon,                       (no arguments) the balloon's size; reads a field
 *            query-memory-size-summary            the guest's RAM size; reads two fields
 *            qom-list                             {path: "/machine/peripheral" | "/machine/peripheral-anon"}:
 *                                                 the child devices' names and types (to find the
 *                                                 balloon device); reads the QOM tree, nothing else
 *            qom-get                              {path: "/machine/peripheral[-anon]/<id>", property: "guest-stats"}:
 *                                                 only that property, only of a device directly under those
 *                                                 two containers (the agent sends it only for the device qom-list
 *                                                 showed as a virtio-balloon); the getter copies the guest's
 *                                                 last reported figures, no guest round trip, no side effect
 *   opt-in   block-set-write-threshold            {node-name: str, write-threshold: int}
 */
export type OptionalCommand = 'block-set-write-threshold';

export interface Allowlist {
  readonly optional: ReadonlySet<OptionalCommand>;
}

export function createAllowlist(optional: readonly OptionalCommand[] = []): Allowlist {
  return { optional: new Set(optional) };
}

export const readOnlyAllowlist: Allowlist = createAllowlist();

type Check = (v: unknown) => boolean;

const str: Check = (v) => typeof v === 'string';
const bool: Check = (v) => typeof v === 'boolean';
const int: Check = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const oneOf =
  (...values: string[]): Check =>
  (v) =>
    typeof v === 'string' && values.includes(v);
/** A device directly under /machine/peripheral (named by its id) or /machine/peripheral-anon (device[N]). */
const PERIPHERAL = /^\/machine\/peripheral(-anon)?\/[A-Za-z0-9_.[\]-]{1,64}$/;
const listOf =
  (item: Check): Check =>
  (v) =>
    Array.isArray(v) && v.every(item);

/** An object with exactly these keys (those marked optional may be missing), each of its shape. */
function shape(required: Record<string, Check>, optional: Record<string, Check> = {}): Check {
  return (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
    const o = v as Record<string, unknown>;
    for (const [k, check] of Object.entries(required)) if (!Object.hasOwn(o, k) || !check(o[k])) return false;
    for (const [k, value] of Object.entries(o)) {
      const check = required[k] ?? optional[k];
      if (!check?.(value)) return false;
    }
    return true;
  };
}

/** Arguments of each allowed command; `null`: none may be given. */
const ALWAYS: ReadonlyMap<string, Check | null> = new Map<string, Check | null>([
  ['qmp_capabilities', null],
  ['query-status', null],
  ['query-name', null],
  ['query-uuid', null],
  ['query-version', null],
  ['query-cpus-fast', null],
  ['query-block', null],
  ['query-block-jobs', null],
  ['query-stats-schemas', shape({}, { provider: str })],
  ['query-stats', shape({ target: str }, { providers: listOf(shape({ provider: str }, { names: listOf(str) })) })],
  ['query-blockstats', shape({}, { 'query-nodes': bool })],
  ['query-named-block-nodes', shape({}, { flat: bool })],
  ['query-balloon', null],
  ['query-memory-size-summary', null],
  ['qom-list', shape({ path: oneOf('/machine/peripheral', '/machine/peripheral-anon') })],
  ['qom-get', shape({ path: (v) => typeof v === 'string' && PERIPHERAL.test(v), property: oneOf('guest-stats') })],
]);

const OPTIONAL: ReadonlyMap<OptionalCommand, Check> = new Map([['block-set-write-threshold', shape({ 'node-name': str, 'write-threshold': int })]]);

/** Whether `command` with `args` may be sent. Pure; case-sensitive, as QMP is. */
export function isAllowed(list: Allowlist, command: string, args: Record<string, unknown> | undefined): boolean {
  const check = ALWAYS.has(command)
    ? ALWAYS.get(command)!
    : list.optional.has(command as OptionalCommand)
      ? OPTIONAL.get(command as OptionalCommand)!
      : undefined;
  if (check === undefined) return false;
  if (args === undefined) return check === null || check({});
  return check?.(args) === true;
}
