/**
 * `--libvirt URI --domain NAME` for the one-shot tools: a connection to the local
 * libvirt daemon and the domain as a poller target (QEMU's monitor through libvirt,
 * read-only, as the agent's `qmp` mode). `close()` ends the connection.
 */
import { defaultRetryPolicy } from '#common/retry.js';
import { domainTarget } from '#agent/libvirt/discovery.js';
import { LibvirtHost } from '#agent/libvirt/host.js';
import { openMonitorSession } from '#agent/libvirt/monitorSession.js';
import type { VmTarget } from '#agent/poller/vmTarget.js';
import { UsageError } from '#common/command.js';
import { parseConfig } from '#common/config.js';
import { LibvirtConfig } from '#schemas/config/agent.js';

/** `--libvirt URI` (and `--libvirt-socket`, `--domain`) as the agent's libvirt settings; a URI it cannot use is one ConfigError line. */
export function libvirtFlags(uri: string, socket?: string, domains?: readonly string[]): LibvirtConfig {
  const raw = { uri, ...(socket ? { socket } : {}), ...(domains?.length ? { domains: [...domains] } : {}) };
  return parseConfig(LibvirtConfig, raw, '--libvirt');
}

export async function libvirtTarget(uri: string, domain: string | undefined, socket?: string): Promise<{ target: VmTarget; close: () => Promise<void> }> {
  if (domain === undefined) throw new UsageError('--libvirt needs --domain NAME');
  const cfg = libvirtFlags(uri, socket);
  const host = new LibvirtHost({ uri: cfg.uri, socketPath: cfg.socket, readOnly: false, callTimeoutMs: cfg.callTimeoutMs, reconnect: defaultRetryPolicy });
  host.start();
  try {
    const target = await domainTarget(host, cfg.uri, domain, (dom) => (o) => openMonitorSession(host, dom, o));
    return { target, close: () => host.stop() };
  } catch (err) {
    await host.stop();
    throw err;
  }
}
