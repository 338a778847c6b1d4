/**
 * `qmpipe alerts tail`: prints the alerts topic's transitions, one line each (format.ts).
 * until-end: from the beginning (or now) to the end offsets the topic had at start,
 * then returns; follow: until `stop` fires. A consumer crash rejects.
 */
import type { Logger } from '#common/log.js';
import type { TailOptions } from './config.js';
import { formatAlert } from './format.js';
import { startAlertSource } from './alertSource.js';

export interface TailIo {
  /** Receives one line (with its newline) per transition. */
  write(text: string): void;
  color: boolean;
  log: Logger;
  /** Ends a follow (or an unfinished until-end) run early, e.g. on SIGINT. */
  stop: Promise<void>;
}

export interface TailResult {
  printed: number;
  undecodable: number;
}

export async function runTail(o: TailOptions, io: TailIo): Promise<TailResult> {
  let printed = 0;
  let markEnd: () => void = () => {};
  const end = new Promise<void>((r) => {
    markEnd = r;
  });
  const starting = startAlertSource(
    { kafka: o.kafka, topic: o.topic, from: o.from, mode: o.mode, log: io.log },
    {
      onAlerts(alerts) {
        io.write(alerts.map((a) => `${formatAlert(a, o.format, { color: io.color })}\n`).join(''));
        printed += alerts.length;
      },
      onCaughtUp() {
        if (o.mode === 'until-end') markEnd();
      },
    },
  );
  // Ctrl-C while kafkajs is still connecting ends the run at once (the source, should
  // it start later, is stopped then).
  const early = await Promise.race([starting, io.stop.then(() => 'stopped' as const)]);
  if (early === 'stopped') {
    void starting.then(
      (s) => s.stop(),
      () => {},
    );
    return { printed, undecodable: 0 };
  }
  const source = early;
  try {
    await Promise.race([end, io.stop, source.crashed]);
  } finally {
    await source.stop();
  }
  return { printed, undecodable: source.stats.undecodable };
}
