/**
 * What the poller reads once per connection, before the first tick: query-uuid,
 * query-name, query-stats-schemas, query-cpus-fast, query-memory-size-summary and
 * qom-list of /machine/peripheral and /machine/peripheral-anon (the balloon device, whose
 * figures the slow group then reads: sample/memory.ts) (in parallel; a command QEMU
 * answers with an error reads as undefined), and on the host the process owning the
 * vCPU threads (host/procfs.ts), which names the QEMU instance, and its pid (whose CPU time
 * and memory each tick reads). `onTraffic` sees that
 * host observation as a transcript `qemu-process` line (`qmpipe record`).
 */
import type { HostReader } from '../host/sysfs.js';
import type { QmpSession } from '../qmp/session.js';
import { versionString } from '../qmp/messages.js';
import { QmpExecuteError } from '../qmp/errors.js';
import { vcpuThreadIds, vcpuThreads } from '../sample/identity.js';
import { balloonPath } from '../sample/memory.js';
import type { ConnectInfo } from '../sample/seam.js';

/** A command's return value, or undefined when QEMU answered with an error (e.g. CommandNotFound). */
function tryExec(client: QmpSession, command: string, args?: Record<string, unknown>): Promise<unknown> {
  return client.execute(command, args).catch((err: unknown) => (err instanceof QmpExecuteError ? undefined : Promise.reject(err)));
}

export async function identify(
  client: QmpSession,
  vm: { host: string; socketName: string; connectedAt: number },
  hostReader: HostReader,
  onTraffic?: (dir: 'host', msg: unknown) => void,
): Promise<ConnectInfo> {
  const [uuid, name, statsSchemas, cpus, memorySize, peripheral, anon] = await Promise.all([
    tryExec(client, 'query-uuid'),
    tryExec(client, 'query-name'),
    tryExec(client, 'query-stats-schemas'),
    tryExec(client, 'query-cpus-fast'),
    tryExec(client, 'query-memory-size-summary'),
    tryExec(client, 'qom-list', { path: '/machine/peripheral' }),
    tryExec(client, 'qom-list', { path: '/machine/peripheral-anon' }),
  ]);
  const process = hostReader.qemuProcess(vcpuThreadIds(cpus));
  if (process) onTraffic?.('host', { 'qemu-process': { 'thread-id': process.threadId, 'start-time': process.startTime, 'boot-id': process.bootId } });
  const threads = hostReader.qemuThreads(vcpuThreads(cpus));
  const lists = [
    { path: '/machine/peripheral', reply: peripheral },
    { path: '/machine/peripheral-anon', reply: anon },
  ];
  // Known to have none only when QEMU listed both containers.
  const balloon = balloonPath(lists) ?? (peripheral !== undefined && anon !== undefined ? null : undefined);
  return { ...vm, greeting: client.greeting, uuid, name, cpus, process, statsSchemas, memorySize, balloonPath: balloon, ...(threads ? { threads } : {}) };
}

/** What a connection announces: `connected` (QEMU's version, where), and `degraded` when QEMU has no query-stats (< 7.1) or the VM no balloon device. */
export function connectNotices(info: ConnectInfo, where: string): { connected: string; degraded: string[] } {
  const degraded: string[] = [];
  if (info.statsSchemas === undefined) degraded.push('query-stats unavailable (QEMU < 7.1): sampling without it');
  if (info.balloonPath === null) degraded.push("no virtio-balloon device: balloon.current and the guest's memory figures are absent");
  return { connected: `QEMU ${versionString(info.greeting.version)} at ${where}`, degraded };
}
