/**
 * The live view's shell: consumes the processor's alerts and rates topics
 * (read_committed, from the beginning, a fresh group) into a DemoState and draws it.
 *   tty      alternate screen, redrawn every second (cursor home, no flicker); on stop
 *            the screen is restored and the final frame printed once
 *   compact  (stdout is not a TTY) a compact frame every 5 s, plus one line per alert
 *            transition and operator note as they happen
 *   off      (--no-view) only the alert and operator lines
 */
import type { Consumer, Kafka } from 'kafkajs';
import type { Alert } from '#schemas/outputs.js';
import { fromAlertRecord } from '#schemas/codecs/outputs.js';
import { outputCodecs } from '#schemas/codecs/outputs.js';
import { addNote, applyAlert, applyRate, initialDemoState, toMark, type AlertMark, type DemoState } from './report/demoState.js';
import { renderAlertLine, renderCompact, renderFrame } from './report/liveView.js';

export type ViewMode = 'tty' | 'compact' | 'off';

export interface ViewerOptions {
  mode: ViewMode;
  title: string;
  startedAt: number;
  topics: { alerts: string; rates: string };
  groupId: string;
  out: NodeJS.WriteStream;
}

export class Viewer {
  state: DemoState = initialDemoState();
  /** Wall-clock ms of the first alert transition received, and that transition. */
  firstAlert: { at: number; mark: AlertMark } | null = null;
  private consumer: Consumer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastMessageAt = Date.now();
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly kafka: Kafka,
    private readonly o: ViewerOptions,
  ) {}

  async start(): Promise<void> {
    const c = this.kafka.consumer({ groupId: this.o.groupId, readUncommitted: false, allowAutoTopicCreation: false, maxWaitTimeInMs: 500 });
    this.consumer = c;
    await c.connect();
    await c.subscribe({ topics: [this.o.topics.alerts, this.o.topics.rates], fromBeginning: true });
    await c.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        this.lastMessageAt = Date.now();
        this.seen.set(`${topic}:${partition}`, Number(message.offset));
        if (!message.value) return;
        if (topic === this.o.topics.rates) this.state = applyRate(this.state, outputCodecs().rate.decode(message.value));
        else this.onAlert(fromAlertRecord(outputCodecs().alert.decode(message.value)));
      },
    });
    if (this.o.mode === 'tty') {
      this.o.out.write('\x1b[?1049h\x1b[?25l');
      this.timer = setInterval(() => this.draw(), 1_000);
    } else if (this.o.mode === 'compact') {
      this.timer = setInterval(() => this.o.out.write(renderCompact(this.state, Date.now(), this.o.startedAt)), 5_000);
    }
  }

  private onAlert(a: Alert): void {
    this.state = applyAlert(this.state, a);
    const mark = toMark(a);
    this.firstAlert ??= { at: Date.now(), mark };
    if (this.o.mode !== 'tty') this.o.out.write(`${renderAlertLine(mark)}\n`);
  }

  note(text: string): void {
    const at = Date.now();
    this.state = addNote(this.state, at, text);
    if (this.o.mode !== 'tty') this.o.out.write(`OPERATOR +${((at - this.o.startedAt) / 1000).toFixed(1)}s ${text}\n`);
  }

  frame(width = 160): string {
    return renderFrame(this.state, { title: this.o.title, now: Date.now(), startedAt: this.o.startedAt, width });
  }

  private draw(): void {
    const width = this.o.out.columns ?? 120;
    const body = this.frame(width)
      .split('\n')
      .map((l) => `${l}\x1b[K`)
      .join('\n');
    this.o.out.write(`\x1b[H${body}\x1b[J`);
  }

  /**
   * Waits until every partition of both topics was read up to its end (allowing for
   * the commit marker after the last record), or nothing arrived for `quietMs`.
   */
  async drain(timeoutMs = 20_000, quietMs = 3_000): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    const deadline = Date.now() + timeoutMs;
    try {
      while (Date.now() < deadline && Date.now() - this.lastMessageAt < quietMs) {
        if (await this.readToEnd(admin)) return;
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      await admin.disconnect();
    }
  }

  private async readToEnd(admin: ReturnType<Kafka['admin']>): Promise<boolean> {
    for (const topic of [this.o.topics.alerts, this.o.topics.rates]) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        const high = Number(p.high);
        const seen = this.seen.get(`${topic}:${p.partition}`);
        if (high > 0 && (seen === undefined || seen + 2 < high)) return false;
      }
    }
    return true;
  }

  /** Stops the consumer; a TTY gets its screen back and the final frame printed once. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.consumer?.disconnect().catch(() => {});
    if (this.o.mode === 'tty') {
      this.o.out.write('\x1b[?25h\x1b[?1049l');
      this.o.out.write(this.frame(this.o.out.columns ?? 120));
    } else if (this.o.mode === 'compact') {
      this.o.out.write(renderCompact(this.state, Date.now(), this.o.startedAt));
    }
  }
}
