/**
 * One remote-write request (Prometheus remote write 1.0): POST the snappy-compressed
 * (block format) WriteRequest to the receiver's URL with
 *   Content-Encoding: snappy, Content-Type: application/x-protobuf,
 *   X-Prometheus-Remote-Write-Version: 0.1.0
 * and basic auth or a bearer token. node:http(s), so TLS takes a CA, a client
 * certificate and rejectUnauthorized like the Kafka settings.
 *
 * Replies, as the spec says senders must treat them:
 *   2xx              delivered
 *   4xx "out of order", "duplicate sample", "out of bounds", "too old": the samples are
 *                    already there (a retry after a timeout, or a new owner re-sending a
 *                    batch after a takeover): counted as `duplicate`, and delivered
 *   429, 5xx, network errors, timeouts   retriable (RemoteWriteError, retriable)
 *   other 4xx        the receiver refuses the data: not retried (RemoteWriteError)
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { compress } from 'snappyjs';
import { QmpipeError } from '#common/errors.js';

export type RemoteWriteErrorCode = 'REMOTE_WRITE_HTTP' | 'REMOTE_WRITE_NETWORK';

export class RemoteWriteError extends QmpipeError {
  constructor(code: RemoteWriteErrorCode, message: string, opts: { retriable: boolean; status?: number; cause?: unknown }) {
    super(code, message, { retriable: opts.retriable, cause: opts.cause, context: { status: opts.status ?? null } });
  }
}

export interface RemoteWriteTarget {
  url: string;
  basicAuth?: { username: string; password: string } | undefined;
  bearerToken?: string | undefined;
  tls?: { caFile?: string | undefined; certFile?: string | undefined; keyFile?: string | undefined; rejectUnauthorized: boolean } | undefined;
  timeoutMs: number;
}

export type Delivery = 'ok' | 'duplicate';

/** What a receiver says when it already holds the samples (Prometheus storage errors). */
const ALREADY_THERE = /out of order|duplicate sample|out of bounds|too old/i;

/** Reply → outcome (pure). */
export function classifyReply(status: number, body: string): Delivery | RemoteWriteError {
  if (status >= 200 && status < 300) return 'ok';
  const text = body.trim().slice(0, 300);
  if (status >= 400 && status < 500 && status !== 429 && ALREADY_THERE.test(body)) return 'duplicate';
  const retriable = status === 429 || status >= 500;
  return new RemoteWriteError('REMOTE_WRITE_HTTP', `remote write: HTTP ${status}${text ? `: ${text}` : ''}`, { retriable, status });
}

export function compressBody(protobuf: Uint8Array): Buffer {
  const c = compress(protobuf);
  return Buffer.from(c.buffer, c.byteOffset, c.byteLength);
}

export interface RemoteWriteClient {
  send(body: Buffer, signal?: AbortSignal): Promise<Delivery>;
}

export function createRemoteWriteClient(t: RemoteWriteTarget): RemoteWriteClient {
  const url = new URL(t.url);
  const secure = url.protocol === 'https:';
  const headers: Record<string, string> = {
    'Content-Encoding': 'snappy',
    'Content-Type': 'application/x-protobuf',
    'X-Prometheus-Remote-Write-Version': '0.1.0',
    'User-Agent': 'qmpipe-processor',
  };
  if (t.basicAuth) headers.Authorization = `Basic ${Buffer.from(`${t.basicAuth.username}:${t.basicAuth.password}`).toString('base64')}`;
  else if (t.bearerToken) headers.Authorization = `Bearer ${t.bearerToken}`;
  const tls: RequestOptions = {};
  if (secure && t.tls) {
    tls.rejectUnauthorized = t.tls.rejectUnauthorized;
    if (t.tls.caFile) tls.ca = readFileSync(t.tls.caFile, 'utf8');
    if (t.tls.certFile) tls.cert = readFileSync(t.tls.certFile, 'utf8');
    if (t.tls.keyFile) tls.key = readFileSync(t.tls.keyFile, 'utf8');
  }
  const request = secure ? httpsRequest : httpRequest;
  return {
    send: (body, signal) =>
      new Promise<Delivery>((resolve, reject) => {
        const req = request(
          url,
          { method: 'POST', headers: { ...headers, 'Content-Length': String(body.length) }, timeout: t.timeoutMs, ...tls, ...(signal ? { signal } : {}) },
          (res: IncomingMessage) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', (cause) => reject(new RemoteWriteError('REMOTE_WRITE_NETWORK', `remote write: ${cause.message}`, { retriable: true, cause })));
            res.on('end', () => {
              const out = classifyReply(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'));
              if (out instanceof RemoteWriteError) reject(out);
              else resolve(out);
            });
          },
        );
        req.on('timeout', () => req.destroy(new Error(`no reply within ${t.timeoutMs} ms`)));
        req.on('error', (cause) =>
          reject(new RemoteWriteError('REMOTE_WRITE_NETWORK', `remote write to ${url.host}: ${cause.message}`, { retriable: true, cause })),
        );
        req.end(body);
      }),
  };
}
