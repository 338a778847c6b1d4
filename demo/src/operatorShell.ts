/**
 * The operator's shell: QMP events from the VM's operator socket and a 250 ms tick
 * go into the pure `decide` (operator.ts); its actions run here, strictly in order
 * (grow-disk.sh, qemu-img, QMP commands). A failed action ends the scenario.
 */
import { describeError } from '#common/errors.js';
import { decide, initialOperator, type OperatorAction, type OperatorConfig, type OperatorInput, type OperatorState } from './operator.js';
import type { ConnectLink, OperatorLink } from './operatorLink.js';
import type { QmpEventMessage } from './qmp.js';

export interface OperatorHooks {
  /** A line for the live view's OPERATOR section. */
  note(text: string): void;
  /** A QMP event the VM sent (for logs). */
  event?(e: QmpEventMessage): void;
}

export class OperatorShell {
  private state: OperatorState;
  private qmp: OperatorLink | undefined;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private done: (reason: string) => void = () => {};
  /** Resolves with the reason once the scenario has ended (or an action failed). */
  readonly finished: Promise<string>;

  constructor(
    private readonly cfg: OperatorConfig,
    private readonly hooks: OperatorHooks,
  ) {
    this.state = initialOperator(cfg, Date.now());
    this.finished = new Promise((r) => (this.done = r));
  }

  async start(connect: ConnectLink): Promise<void> {
    this.qmp = await connect((e) => this.onEvent(e));
    this.timer = setInterval(() => this.feed({ kind: 'tick', now: Date.now() }), 250);
  }

  get phase(): string {
    return this.state.phase;
  }

  private onEvent(e: QmpEventMessage): void {
    this.hooks.event?.(e);
    if (e.event !== 'STOP') {
      this.feed({ kind: 'event', now: Date.now(), event: e.event, data: e.data });
      return;
    }
    // STOP says nothing about why: ask (io-error means a pause on an I/O error such as ENOSPC).
    void this.qmp?.execute('query-status').then(
      (r) => this.feed({ kind: 'event', now: Date.now(), event: 'STOP', data: { status: (r as { status?: unknown }).status } }),
      () => {},
    );
  }

  private feed(input: OperatorInput): void {
    const r = decide(this.cfg, this.state, input);
    this.state = r.state;
    if (r.actions.length === 0) return;
    this.chain = this.chain.then(() => this.run(r.actions));
  }

  private async run(actions: readonly OperatorAction[]): Promise<void> {
    for (const a of actions) {
      try {
        await this.act(a);
      } catch (err) {
        this.hooks.note(`operator step failed: ${describeError(err)}`);
        this.done('an operator step failed');
        return;
      }
    }
  }

  private async act(a: OperatorAction): Promise<void> {
    switch (a.kind) {
      case 'note':
        this.hooks.note(a.text);
        return;
      case 'grow':
        await this.qmp!.grow(a.toMiB);
        return;
      case 'create-overlay':
        await this.qmp!.createOverlay(a.path, a.sizeMiB);
        return;
      case 'qmp':
        await this.qmp!.execute(a.execute, a.arguments);
        return;
      case 'finish':
        this.done(a.reason);
        return;
    }
  }

  /** Stops ticking and closes the socket; waits for an action in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.state = { ...this.state, phase: 'finished' };
    await this.chain.catch(() => {});
    this.qmp?.close();
  }
}
