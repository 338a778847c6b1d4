/**
 * What one demo run started, and how to stop it: closers registered as things start
 * and run newest first, once each, whether the run ends normally, fails, or is
 * interrupted (SIGINT/SIGTERM). Nothing that the run did not start is touched.
 */
import { describeError } from '#common/errors.js';

interface Closer {
  name: string;
  fn: () => Promise<void>;
  done: boolean;
}

export class Session {
  private readonly closers: Closer[] = [];
  private readonly controller = new AbortController();
  private signals = 0;
  /** Aborted on the first SIGINT/SIGTERM. */
  readonly signal = this.controller.signal;
  /** Resolves on the first SIGINT/SIGTERM. */
  readonly interrupted: Promise<void>;

  constructor(
    private readonly say: (line: string) => void,
    private readonly timeoutMs = 30_000,
  ) {
    this.interrupted = new Promise((resolve) => this.signal.addEventListener('abort', () => resolve(), { once: true }));
  }

  /** Registers `fn` to stop `name`; the newest registration is stopped first. */
  onClose(name: string, fn: () => Promise<void>): void {
    this.closers.push({ name, fn, done: false });
  }

  /** Stops one thing now (if it was registered and not stopped yet). */
  async close(name: string): Promise<void> {
    const c = this.closers.find((x) => x.name === name && !x.done);
    if (c) await this.run(c);
  }

  /** Stops everything still running, newest first. */
  async closeAll(): Promise<void> {
    for (const c of [...this.closers].reverse()) if (!c.done) await this.run(c);
  }

  private async run(c: Closer): Promise<void> {
    c.done = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.say(`stopping ${c.name} took over ${this.timeoutMs / 1000} s; going on`);
        resolve();
      }, this.timeoutMs);
    });
    try {
      await Promise.race([c.fn(), timeout]);
    } catch (err) {
      this.say(`stopping ${c.name} failed: ${describeError(err)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGINT/SIGTERM abort the run (the caller then calls closeAll); a second one only says so. */
  installSignals(): () => void {
    const on = (sig: NodeJS.Signals) => {
      this.signals++;
      if (this.signals === 1) {
        this.say(`${sig}: stopping everything this demo started`);
        this.controller.abort();
      } else {
        this.say(`${sig} again: still stopping (VM, agent, processor); please wait`);
      }
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
    return () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    };
  }
}
