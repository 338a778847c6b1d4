/**
 * Typed QMP errors, one class per phase (mirrors QEMU's python/qemu/qmp/qmp_client.py:
 * GreetingError, NegotiationError, ExecuteError, ServerParseError, ...). Each has a
 * stable `code`, says whether reconnecting/retrying can help, and keeps its `cause`.
 *
 *   phase         class                   code                     retriable
 *   connect       QmpConnectError         AGENT_QMP_CONNECT        yes
 *   greeting      QmpGreetingError        AGENT_QMP_GREETING       yes (reconnect)
 *   negotiation   QmpNegotiationError     AGENT_QMP_NEGOTIATION    yes (reconnect)
 *   execute       QmpExecuteError         AGENT_QMP_EXECUTE        no  (QMP said no; keeps `errorClass`)
 *   protocol      QmpProtocolError        AGENT_QMP_PROTOCOL       yes (reconnect)
 *   timeout       QmpTimeoutError         AGENT_QMP_TIMEOUT        yes
 *   disconnected  QmpDisconnectedError    AGENT_QMP_DISCONNECTED   yes (EOF/reset: pending commands fail)
 *   refused       QmpRefusedError         AGENT_QMP_REFUSED        no  (allowlist: never reached the socket)
 */
import { QmpipeError, type QmpipeErrorOptions } from '#common/errors.js';

export type QmpErrorCode =
  | 'AGENT_QMP_CONNECT'
  | 'AGENT_QMP_GREETING'
  | 'AGENT_QMP_NEGOTIATION'
  | 'AGENT_QMP_EXECUTE'
  | 'AGENT_QMP_PROTOCOL'
  | 'AGENT_QMP_TIMEOUT'
  | 'AGENT_QMP_DISCONNECTED'
  | 'AGENT_QMP_REFUSED';

export abstract class QmpError extends QmpipeError {
  declare readonly code: QmpErrorCode;
}

type Opts = Omit<QmpipeErrorOptions, 'retriable'>;

export class QmpConnectError extends QmpError {
  constructor(message: string, opts: Opts = {}) {
    super('AGENT_QMP_CONNECT', message, { ...opts, retriable: true });
  }
}

export class QmpGreetingError extends QmpError {
  constructor(message: string, opts: Opts = {}) {
    super('AGENT_QMP_GREETING', message, { ...opts, retriable: true });
  }
}

export class QmpNegotiationError extends QmpError {
  constructor(message: string, opts: Opts = {}) {
    super('AGENT_QMP_NEGOTIATION', message, { ...opts, retriable: true });
  }
}

/** QEMU answered `{"error":{"class","desc"}}`. Never parse `desc`; branch on `errorClass`. */
export class QmpExecuteError extends QmpError {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    readonly desc: string,
    opts: Opts = {},
  ) {
    super('AGENT_QMP_EXECUTE', `${command}: ${errorClass}: ${desc}`, { ...opts, retriable: false, context: { command, errorClass, ...opts.context } });
  }
}

export type ProtocolProblem = 'line-too-long' | 'too-deep' | 'invalid-utf8' | 'invalid-json' | 'not-an-object' | 'unknown-message';

/** The peer sent bytes that are not QMP. The connection cannot be trusted any more. */
export class QmpProtocolError extends QmpError {
  constructor(
    readonly problem: ProtocolProblem,
    message: string,
    opts: Opts = {},
  ) {
    super('AGENT_QMP_PROTOCOL', message, { ...opts, retriable: true, context: { problem, ...opts.context } });
  }
}

export class QmpTimeoutError extends QmpError {
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
    opts: Opts = {},
  ) {
    super('AGENT_QMP_TIMEOUT', `${command}: no reply within ${timeoutMs} ms`, { ...opts, retriable: true, context: { command, timeoutMs, ...opts.context } });
  }
}

/** EOF, reset or local close: every command still pending fails with this. */
export class QmpDisconnectedError extends QmpError {
  constructor(message: string, opts: Opts = {}) {
    super('AGENT_QMP_DISCONNECTED', message, { ...opts, retriable: true });
  }
}

/** The allowlist refused a command before it reached the socket. */
export class QmpRefusedError extends QmpError {
  constructor(readonly command: string) {
    super('AGENT_QMP_REFUSED', `command '${command}' (with these arguments) is not on the read-only allowlist`, { retriable: false, context: { command } });
  }
}

/** The phase-level class of an error, for `agent_qmp_errors_total{class}`. Never throws. */
export function qmpErrorClass(err: unknown): string {
  if (err instanceof QmpExecuteError) return err.errorClass;
  if (err instanceof QmpError) return err.code.slice('AGENT_QMP_'.length).toLowerCase();
  return 'other';
}

/** Whether `err` (or the disconnect it caused) is a QMP line over the client's line limit. */
export function isLineTooLong(err: unknown): boolean {
  const cause = err instanceof QmpDisconnectedError ? (err as { cause?: unknown }).cause : err;
  return cause instanceof QmpProtocolError && cause.problem === 'line-too-long';
}
