/**
 * The `qmpipe-sent-at` header of a raw-topic message: the agent's wall clock (epoch ms,
 * decimal text) when it handed the message to Kafka, stamped at send time (after any time
 * in the spool). With the raw topic on `message.timestamp.type=LogAppendTime`, the message's
 * timestamp is the broker's clock, so `sentAt − timestamp` is the agent host's clock offset
 * minus the network's delay (milliseconds), however old the record inside is: a spool that
 * flushes an hour of backlog is not a host an hour behind (processor/src/core/clock/skew.ts).
 * A message without it (an older agent) is not measured.
 */
export const SENT_AT_HEADER = 'qmpipe-sent-at';

/** The header's value for a send at `now`. */
export function sentAtValue(now: number): string {
  return String(Math.trunc(now));
}

/** 2000-01-01 and 2200-01-01: a value outside is not a wall clock. */
const MIN = 946_684_800_000;
const MAX = 7_258_118_400_000;

/** The header's time, or undefined when absent or not a plausible epoch-ms decimal. */
export function parseSentAt(value: Buffer | Uint8Array | string | readonly number[] | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = typeof value === 'string' ? value : Buffer.from(value as Uint8Array).toString('latin1');
  if (!/^\d{12,13}$/.test(text)) return undefined;
  const t = Number(text);
  return t >= MIN && t <= MAX ? t : undefined;
}
