/**
 * QMP transports: a unix socket (the usual `-qmp unix:PATH,server=on,wait=off`) or TCP.
 * Opening one is the `connect` phase: failures are `QmpConnectError`s (retriable).
 */
import { createConnection, type Socket } from 'node:net';
import { QmpConnectError } from './errors.js';

export type QmpTransport = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export function describeTransport(t: QmpTransport): string {
  return t.kind === 'unix' ? t.path : `${t.host}:${t.port}`;
}

export function openSocket(t: QmpTransport, timeoutMs: number): Promise<Socket> {
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
