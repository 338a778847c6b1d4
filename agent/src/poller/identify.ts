/**
 * What the poller reads once per connection, before the first tick: query-uuid,
 * query-name, query-stats-schemas and query-cpus-fast (in parallel; a command QEMU
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
import type { ConnectInfo } from '../sample/seam.js';

/** A command's return value, or undefined when QEMU answered with an error (e.g. CommandNotFound). */
function tryExec(client: QmpSession, command: string): Promise<unknown> {
  return client.execute(command).catch((err: unknown) => (err instanceof QmpExecuteError ? undefined : Promise.reject(err)));
}

export async function identify(
  client: QmpSession,
  vm: { host: string; socketName: string; connectedAt: number },
  hostReader: HostReader,
  onTraffic?: (dir: 'host', msg: unknown) => void,
): Promise<ConnectInfo> {
  const [uuid, name, statsSchemas, cpus] = await Promise.all([
    tryExec(client, 'query-uuid'),
    tryExec(client, 'query-name'),
    tryExec(client, 'query-stats-schemas'),
    tryExec(client, 'query-cpus-fast'),
  ]);
  const process = hostReader.qemuProcess(vcpuThreadIds(cpus));
  if (process) onTraffic?.('host', { 'qemu-process': { 'thread-id': process.threadId, 'start-time': process.startTime, 'boot-id': process.bootId } });
  const threads = hostReader.qemuThreads(vcpuThreads(cpus));
  return { ...vm, greeting: client.greeting, uuid, name, cpus, process, statsSchemas, ...(threads ? { threads } : {}) };
}

/** What a connection announces: `connected` (QEMU's version, where), and `degraded` when QEMU has no query-stats (< 7.1). */
export function connectNotices(info: ConnectInfo, where: string): { connected: string; degraded: string[] } {
  return {
    connected: `QEMU ${versionString(info.greeting.version)} at ${where}`,
    degraded: info.statsSchemas === undefined ? ['query-stats unavailable (QEMU < 7.1): sampling without it'] : [],
  };
}
