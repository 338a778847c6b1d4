/**
 * The `--libvirt URI [--domain NAME]` source: every running domain of the local libvirt
 * daemon (or the named ones), found and followed as the agent's `qmp` mode does
 * (agent/src/libvirt: LibvirtDiscovery on a LibvirtHost connection, lifecycle events and a
 * rescan), each polled through QEMU's monitor via libvirt, read-only, by the agent's
 * poller. Disks are named by their target (vda), as libvirt names them.
 */
import { defaultRetryPolicy } from '#common/retry.js';
import { LibvirtDiscovery } from '#agent/libvirt/discovery.js';
import { LibvirtHost } from '#agent/libvirt/host.js';
import { openMonitorSession } from '#agent/libvirt/monitorSession.js';
import { libvirtFlags } from '#tools/libvirtTarget.js';
import type { RawRecord } from '#schemas/types.js';
import { pollTargets, type TargetWatch } from './sockets.js';

export interface LibvirtSourceOptions {
  uri: string;
  /** Only these domains; all running ones when empty. */
  domains: readonly string[];
  socket?: string | undefined;
  intervalMs: number;
  host?: string | undefined;
}

export function watchLibvirt(onRecord: (rec: RawRecord) => void, o: LibvirtSourceOptions): TargetWatch {
  const cfg = libvirtFlags(o.uri, o.socket, o.domains);
  const host = new LibvirtHost({ uri: cfg.uri, socketPath: cfg.socket, readOnly: false, callTimeoutMs: cfg.callTimeoutMs, reconnect: defaultRetryPolicy });
  const watch = pollTargets(onRecord, o);
  const discovery = new LibvirtDiscovery(
    host,
    { uri: cfg.uri, domains: cfg.domains, rescanIntervalMs: 10_000 },
    { added: (t) => watch.add(t), removed: (id) => void watch.remove(id) },
    (dom) => (opts) => openMonitorSession(host, dom, opts),
  );
  discovery.start();
  host.start();
  return {
    get targets() {
      return watch.targets;
    },
    stop: async () => {
      discovery.stop();
      await watch.stop();
      await host.stop();
    },
  };
}
