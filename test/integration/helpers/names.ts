import { randomBytes } from 'node:crypto';

/**
 * A random name valid as a Kafka topic, S3 bucket, consumer group or VM name:
 * lowercase letters, digits and dashes, e.g. `it-samples-3f9a1c2e`.
 */
export function randomName(prefix = 'it'): string {
  return `${prefix.toLowerCase().replace(/[^a-z0-9-]/g, '-')}-${randomBytes(4).toString('hex')}`;
}
