/** Smoke test of the local S3 endpoint (S3Proxy) with @aws-sdk/client-s3 defaults (SigV4, checksums). */
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { randomName, s3Client } from './helpers/index.js';

describe('s3 smoke', () => {
  it('creates a bucket, puts, lists, gets and deletes objects', async () => {
    const s3 = s3Client();
    const Bucket = randomName('it-bucket');
    await s3.send(new CreateBucketCommand({ Bucket }));

    const key = 'rollups/date=2026-11-22/hour=03/vm-1-1700000000-0001.json';
    const body = JSON.stringify({ series: 'vm-1/wr_bytes', count: 3, sum: 42 });
    const big = Buffer.alloc(3 << 20, 0x5a); // above the SDK's default part/stream thresholds
    await s3.send(new PutObjectCommand({ Bucket, Key: key, Body: body, ContentType: 'application/json' }));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'rollups/big.bin', Body: big }));

    const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'rollups/' }));
    expect(listed.Contents?.map((o) => [o.Key, o.Size]).sort()).toEqual(
      [
        [key, body.length],
        ['rollups/big.bin', big.length],
      ].sort(),
    );

    const got = await s3.send(new GetObjectCommand({ Bucket, Key: key }));
    expect(await got.Body!.transformToString()).toBe(body);
    const gotBig = await s3.send(new GetObjectCommand({ Bucket, Key: 'rollups/big.bin' }));
    expect(Buffer.from(await gotBig.Body!.transformToByteArray()).equals(big)).toBe(true);

    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'rollups/big.bin' }));
    const after = await s3.send(new ListObjectsV2Command({ Bucket }));
    expect(after.Contents?.map((o) => o.Key)).toEqual([key]);
    s3.destroy();
  });
});
