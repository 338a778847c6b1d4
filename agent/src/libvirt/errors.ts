/**
 * Typed errors of the libvirt RPC client, one class per kind of failure. Each has a stable
 * `code` and says whether reconnecting can help.
 *
 *   class                     code                          retriable
 *   LibvirtProtocolError      LIBVIRT_PROTOCOL              no   bad bytes; `reason` says which rule broke
 *   LibvirtRemoteError        LIBVIRT_REMOTE                no   the daemon answered VIR_NET_ERROR (virNetMessageError)
 *   LibvirtConnectError       LIBVIRT_CONNECT               yes  socket connect, or the open/auth handshake failed
 *   LibvirtDisconnectedError  LIBVIRT_DISCONNECTED          yes  EOF, socket error, keepalive timeout or close()
 *   LibvirtTimeoutError       LIBVIRT_TIMEOUT               yes  one call had no reply in time
 */
import { QmpipeError, type QmpipeErrorOptions } from '#common/errors.js';

type Opts = Omit<QmpipeErrorOptions, 'retriable'>;

/** Which decoding or framing rule a message broke (stable, for tests and metrics). */
export type ProtocolViolation =
  | 'TRUNCATED' // fewer bytes than the field needs
  | 'LIMIT' // a length or count above the protocol's max for that field
  | 'BAD_VALUE' // e.g. a bool that is not 0/1, an unknown union arm
  | 'TRAILING' // bytes left after the last field
  | 'FRAME_SIZE' // a length word below the header size or above VIR_NET_MESSAGE_MAX
  | 'UNEXPECTED'; // a well-formed message the client cannot place (wrong program, unknown serial)

export class LibvirtProtocolError extends QmpipeError {
  declare readonly code: 'LIBVIRT_PROTOCOL';
  constructor(
    readonly reason: ProtocolViolation,
    message: string,
    opts: Opts = {},
  ) {
    super('LIBVIRT_PROTOCOL', message, { ...opts, retriable: false, context: { reason, ...opts.context } });
  }
}

/** The fields of virNetMessageError (src/rpc/virnetprotocol.x) a caller can branch on. */
export interface RemoteErrorInfo {
  /** virErrorNumber, e.g. 42 = VIR_ERR_NO_DOMAIN, 55 = VIR_ERR_OPERATION_INVALID. */
  code: number;
  /** virErrorDomain, e.g. 10 = VIR_FROM_QEMU. */
  domain: number;
  message: string | null;
  level: number;
  str1: string | null;
  str2: string | null;
  str3: string | null;
  int1: number;
  int2: number;
}

export class LibvirtRemoteError extends QmpipeError {
  declare readonly code: 'LIBVIRT_REMOTE';
  constructor(
    readonly procedure: string,
    readonly remote: RemoteErrorInfo,
    opts: Opts = {},
  ) {
    super('LIBVIRT_REMOTE', `${procedure}: ${remote.message ?? `libvirt error ${remote.code}`}`, {
      ...opts,
      retriable: false,
      context: { procedure, remoteCode: remote.code, remoteDomain: remote.domain, ...opts.context },
    });
  }
}

export class LibvirtConnectError extends QmpipeError {
  declare readonly code: 'LIBVIRT_CONNECT';
  constructor(message: string, opts: Opts = {}) {
    super('LIBVIRT_CONNECT', message, { ...opts, retriable: true });
  }
}

export class LibvirtDisconnectedError extends QmpipeError {
  declare readonly code: 'LIBVIRT_DISCONNECTED';
  constructor(message: string, opts: Opts = {}) {
    super('LIBVIRT_DISCONNECTED', message, { ...opts, retriable: true });
  }
}

export class LibvirtTimeoutError extends QmpipeError {
  declare readonly code: 'LIBVIRT_TIMEOUT';
  constructor(message: string, opts: Opts = {}) {
    super('LIBVIRT_TIMEOUT', message, { ...opts, retriable: true });
  }
}

export type LibvirtError = LibvirtProtocolError | LibvirtRemoteError | LibvirtConnectError | LibvirtDisconnectedError | LibvirtTimeoutError;

/** virErrorNumber values that mean the domain is gone or not running (include/libvirt/virterror.h). */
const DOMAIN_GONE = new Set([42 /* VIR_ERR_NO_DOMAIN */, 55 /* VIR_ERR_OPERATION_INVALID */]);

/** libvirt answered that the domain is gone or not running. */
export function isDomainGone(err: unknown): err is LibvirtRemoteError {
  return err instanceof LibvirtRemoteError && DOMAIN_GONE.has(err.remote.code);
}
