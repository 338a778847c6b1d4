/**
 * The processor's thin S3 shell: put/get objects with the shared retry policy,
 * and conditional writes (If-Match / If-None-Match: *) for checkpoints, so two
 * invocations racing on one partition cannot both win. S3-compatible stores
 * (S3Proxy, MinIO) are addressed path-style.
 */
import { GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { QmpipeError } from '#common/errors.js';
import { retry, type RetryOptions } from '#common/retry.js';

export interface S3Settings {
  endpoint?: string | undefined;
  region: string;
  bucket: string;
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  forcePathStyle: boolean;
}

export class S3StoreError extends QmpipeError {
  constructor(
    code: 'S3_UNAVAILABLE' | 'S3_PRECONDITION_FAILED' | 'S3_REQUEST',
    message: string,
    opts: { retriable: boolean; cause?: unknown; context?: Record<string, unknown> },
  ) {
    super(code, message, opts);
  }
}

export interface StoredObject {
  body: Buffer;
  etag: string;
}

/** What the processor needs from an object store (an interface, so tests and the Lambda share it). */
export interface ObjectStore {
  put(key: string, body: Uint8Array, contentType: string): Promise<void>;
  get(key: string): Promise<StoredObject | null>;
  /** Writes only if the object's ETag is still `etag` (or, with null, if it does not exist). */
  putIfMatch(key: string, body: Uint8Array, etag: string | null): Promise<string>;
  list(prefix: string): Promise<string[]>;
}

export function createS3Client(s: S3Settings): S3Client {
  return new S3Client({
    region: s.region,
    forcePathStyle: s.forcePathStyle,
    ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    ...(s.accessKeyId && s.secretAccessKey ? { credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey } } : {}),
    maxAttempts: 1, // retries are ours (common/src/retry.ts), so an outage is visible and bounded
  });
}

export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly retryOpts: RetryOptions = {},
  ) {}

  async put(key: string, body: Uint8Array, contentType: string): Promise<void> {
    await this.send('put', key, () => this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType })));
  }

  async get(key: string): Promise<StoredObject | null> {
    return this.send('get', key, async () => {
      try {
        const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
        const bytes = await out.Body!.transformToByteArray();
        return { body: Buffer.from(bytes), etag: out.ETag ?? '' };
      } catch (err) {
        if (err instanceof S3ServiceException && (err.name === 'NoSuchKey' || err.$metadata.httpStatusCode === 404)) return null;
        throw err;
      }
    });
  }

  async putIfMatch(key: string, body: Uint8Array, etag: string | null): Promise<string> {
    return this.send('put-conditional', key, async () => {
      const cond = etag === null ? { IfNoneMatch: '*' } : { IfMatch: etag };
      const out = await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/octet-stream', ...cond }));
      return out.ETag ?? '';
    });
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.send('list', prefix, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token })),
      );
      for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  private send<T>(op: string, key: string, fn: () => Promise<T>): Promise<T> {
    return retry(async () => {
      try {
        return await fn();
      } catch (err) {
        throw classify(err, op, this.bucket, key);
      }
    }, this.retryOpts);
  }
}

/** Maps SDK and network errors to typed, retriable-or-not errors. Never throws. */
export function classify(err: unknown, op: string, bucket: string, key: string): S3StoreError {
  const context = { op, bucket, key };
  if (err instanceof S3ServiceException) {
    const status = err.$metadata.httpStatusCode ?? 0;
    if (status === 412 || err.name === 'PreconditionFailed')
      return new S3StoreError('S3_PRECONDITION_FAILED', `${op} s3://${bucket}/${key}: precondition failed`, { retriable: false, cause: err, context });
    if (status === 409)
      return new S3StoreError('S3_PRECONDITION_FAILED', `${op} s3://${bucket}/${key}: conflicting write`, { retriable: false, cause: err, context });
    const retriable = status >= 500 || status === 429 || status === 0;
    return new S3StoreError('S3_REQUEST', `${op} s3://${bucket}/${key}: ${err.name} (${status})`, { retriable, cause: err, context });
  }
  return new S3StoreError('S3_UNAVAILABLE', `${op} s3://${bucket}/${key}: ${(err as Error)?.message ?? String(err)}`, { retriable: true, cause: err, context });
}
