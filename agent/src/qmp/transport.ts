/**
 * QMP transports: a unix socket (the usual `-qmp unix:PATH,server=on,wait=off`) or TCP.
 * Opening one is the `connect` phase: failures are `QmpConnectError`s (retriable).
 */
import { createConnection, type Socket } from 'node:net';
import { QmpConnectError } from './errors.js';

/** Where a VM's monitor is: its own QMP socket, or (through libvirt) a domain of a libvirt URI. */
export type QmpTransport = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number } | { kind: 'libvirt'; uri: string; domain: string };

export function describeTransport(t: QmpTransport): string {
  if (t.kind === 'libvirt') return `${t.uri} domain ${t.domain}`;
  return t.kind === 'unix' ? t.path : `${t.host}:${t.port}`;
}

export function openSocket(t: QmpTransport, timeoutMs: number): Promise<Socket> {
  if (t.kind === 'libvirt') return Promise.reject(new QmpConnectError(`${describeTransport(t)} is reached through libvirt, not a socket`));
  return new Promise((resolve, reject) => {
    const socket = t.kind === 'unix' ? createConnection({ path: t.path }) : createConnection({ host: t.host, port: t.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new QmpConnectError(`connect to ${describeTransport(t)} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(
        new QmpConnectError(`connect to ${describeTransport(t)} failed: ${err.message}`, {
          cause: err,
          context: { errno: (err as NodeJS.ErrnoException).code },
        }),
      );
    });
  });
}
