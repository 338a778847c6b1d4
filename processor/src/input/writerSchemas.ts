/**
 * The agents' writer schemas, from their compacted schema topic, kept current: agents are
 * upgraded one host at a time, and an upgraded agent publishes its new writer schema when
 * it starts. Read once at start-up only, every record of a new agent version would be
 * dead-lettered until the processor restarted.
 *
 * - `load()` reads the topic and registers every writer schema; a malformed one is
 *   skipped, logged once and counted, never a start-up failure.
 * - `ensureKnown(values)`, before a batch is processed: when a value carries a
 *   fingerprint the codec does not know, the topic is read again, and again until
 *   `waitMs` has passed, so the records decode. A fingerprint still unknown after that
 *   is left to the decoder (AVRO_UNKNOWN_FINGERPRINT dead letter) and not looked for
 *   again for `retryAfterMs` (a poison value must not make every batch re-read the topic).
 */
import type { Kafka } from 'kafkajs';
import type { Logger } from '#common/log.js';
import { HEADER_LENGTH, MAGIC, type SingleObjectCodec } from '#schemas/codecs/avro.js';
import { rawCodec } from '#schemas/codecs/raw.js';
import { readCompacted } from './readCompacted.js';

export interface WriterSchemaOptions {
  waitMs: number;
  retryAfterMs: number;
  pollMs?: number;
}

export interface SchemaTopicReader {
  /** Every current value of the schema topic, by key. */
  read(): Promise<Map<string, Buffer | null>>;
}

export class WriterSchemas {
  private readonly malformed = new Set<string>();
  private readonly givenUp = new Map<string, number>();

  constructor(
    private readonly codec: SingleObjectCodec<unknown>,
    private readonly topic: SchemaTopicReader,
    private readonly log: Logger,
    private readonly opts: WriterSchemaOptions,
    private readonly onMalformed: () => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reads the schema topic and registers what it holds. Returns how many writer schemas it holds. */
  async load(): Promise<number> {
    let n = 0;
    for (const [key, value] of await this.topic.read()) {
      if (!value) continue;
      try {
        this.codec.addWriter(value.toString('utf8'));
        n++;
      } catch (err) {
        if (this.malformed.has(key)) continue;
        this.malformed.add(key);
        this.onMalformed();
        this.log.warn('malformed writer schema in the schema topic: skipped', { key, error: err instanceof Error ? err.message : String(err) });
      }
    }
    return n;
  }

  /** Makes sure the writer schemas of these values are registered, if the schema topic has them (bounded wait). */
  async ensureKnown(values: Iterable<Buffer | null>): Promise<void> {
    let unknown = this.unknownIn(values);
    if (unknown.size === 0) return;
    const deadline = this.now() + this.opts.waitMs;
    for (;;) {
      await this.load();
      unknown = new Set([...unknown].filter((fp) => !this.codec.hasWriter(fp)));
      if (unknown.size === 0 || this.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, this.opts.pollMs ?? 500));
    }
    for (const fp of unknown) this.givenUp.set(fp, this.now() + this.opts.retryAfterMs);
    if (unknown.size > 0)
      this.log.warn('writer schema not in the schema topic: its records are dead-lettered', { fingerprints: [...unknown], waitedMs: this.opts.waitMs });
  }

  private unknownIn(values: Iterable<Buffer | null>): Set<string> {
    const out = new Set<string>();
    const now = this.now();
    for (const v of values) {
      if (!v || v.length < HEADER_LENGTH || v[0] !== MAGIC[0] || v[1] !== MAGIC[1]) continue;
      if (v.compare(this.codec.fingerprint, 0, 8, 2, HEADER_LENGTH) === 0) continue; // the hot path: the reader's own
      const fp = v.subarray(2, HEADER_LENGTH).toString('hex');
      if (this.codec.hasWriter(fp) || out.has(fp)) continue;
      const until = this.givenUp.get(fp);
      if (until !== undefined && until > now) continue;
      out.add(fp);
    }
    return out;
  }
}

/** The schema topic read to its end with read_committed (readCompacted); a topic that does not exist yet holds nothing. */
export function schemaTopicReader(kafka: Kafka, topic: string): SchemaTopicReader {
  return {
    async read() {
      const admin = kafka.admin();
      await admin.connect();
      try {
        if (!(await admin.listTopics()).includes(topic)) return new Map();
      } finally {
        await admin.disconnect();
      }
      const values = await readCompacted(kafka, topic);
      return new Map([...values].map(([k, v]) => [k, v.value]));
    },
  };
}

/** The agents' writer schemas (registered with the raw codec), read now and again when a record needs one. */
export async function loadWriterSchemas(
  kafka: Kafka,
  k: { schemaTopic: string; schemaWaitMs: number; schemaRetryAfterMs: number },
  log: Logger,
  onMalformed?: () => void,
): Promise<{ schemas: WriterSchemas; count: number }> {
  const schemas = new WriterSchemas(
    rawCodec(),
    schemaTopicReader(kafka, k.schemaTopic),
    log,
    { waitMs: k.schemaWaitMs, retryAfterMs: k.schemaRetryAfterMs },
    onMalformed,
  );
  const count = await schemas.load();
  if (count === 0) log.warn("no writer schema in the schema topic yet; only this build's own is known", { topic: k.schemaTopic });
  return { schemas, count };
}
