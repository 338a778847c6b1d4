/**
 * The alerts a processor run published, read to the end of its topic (read_committed, the
 * one topic tailer), as identities with their counts; and how one run's differ from a
 * reference's: transitions published twice, missing, or not in the reference.
 */
import { startTailer } from '#common/kafka/tailer.js';
import { silentLogger } from '#common/log.js';
import { outputCodecs } from '#schemas/codecs/outputs.js';

/** Each alert transition (id, state, time of its record) with how often it was published. */
export async function alertKeysOf(brokers: string[], topic: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const codec = outputCodecs().alert;
  let caughtUp: () => void = () => undefined;
  const done = new Promise<void>((r) => {
    caughtUp = r;
  });
  const tailer = await startTailer(
    {
      kafka: { clientId: 'bench-alerts-reader', brokers, connectionTimeoutMs: 10_000, requestTimeoutMs: 30_000 },
      topics: [topic],
      from: 'beginning',
      mode: 'until-end',
      group: 'bench-alerts-reader',
      missingHint: 'the processor creates it',
      log: silentLogger,
      maxWaitTimeMs: 500,
    },
    {
      onRecords: (_t, _p, records) => {
        for (const m of records) {
          const a = codec.decode(m.value!);
          const key = `${a.id}|${a.state}|${a.t}`;
          out.set(key, (out.get(key) ?? 0) + 1);
        }
      },
      onCaughtUp: () => caughtUp(),
    },
  );
  try {
    await Promise.race([done, tailer.crashed]);
  } finally {
    await tailer.stop();
  }
  return out;
}

export interface AlertComparison {
  reference: number;
  duplicated: number;
  missing: number;
  extra: number;
}

export function compareAlerts(reference: ReadonlyMap<string, number>, run: ReadonlyMap<string, number>): AlertComparison {
  let duplicated = 0;
  let missing = 0;
  let extra = 0;
  for (const [k, n] of run) {
    duplicated += Math.max(0, n - Math.max(1, reference.get(k) ?? 1));
    if (!reference.has(k)) extra++;
  }
  for (const k of reference.keys()) if (!run.has(k)) missing++;
  return { reference: [...reference.values()].reduce((a, b) => a + b, 0), duplicated, missing, extra };
}
