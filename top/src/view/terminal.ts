/**
 * The live screen's shell: plain ANSI on the terminal, keys through node:readline.
 * The alternate screen and a hidden cursor while it runs; a redraw every `refreshMs`
 * and after each key or resize (cursor home, each line cleared to its end: no
 * flicker); raw mode for single keys. `q` (or Ctrl-C, or SIGTERM) restores the
 * terminal, whatever happened, and resolves.
 */
import { emitKeypressEvents } from 'node:readline';
import type { Frame } from '../model/frame.js';
import { initialUi, onKey, type Key, type SortKey, type Ui } from './keys.js';
import { renderScreen, visibleVms } from './screen.js';

export interface ScreenShellOptions {
  input: NodeJS.ReadStream;
  out: NodeJS.WriteStream;
  source: () => string;
  frame: () => Frame;
  refreshMs: number;
  sort?: SortKey;
}

const ENTER = '\x1b[?1049h\x1b[?25l';
const LEAVE = '\x1b[?25h\x1b[?1049l';

/** The selected row ("> " marker) in inverse video. */
function paint(lines: readonly string[]): string {
  return lines.map((l) => (l.startsWith('> ') ? `\x1b[7m${l}\x1b[0m\x1b[K` : `${l}\x1b[K`)).join('\r\n');
}

export function runScreen(o: ScreenShellOptions): Promise<void> {
  let ui: Ui = initialUi(o.sort);
  let frame = o.frame();
  const draw = (): void => {
    const lines = renderScreen(frame, ui, { width: o.out.columns ?? 120, height: o.out.rows ?? 40, source: o.source() });
    o.out.write(`\x1b[H${paint(lines)}\x1b[J`);
  };
  return new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      frame = o.frame();
      draw();
    }, o.refreshMs);
    const onKeypress = (_: string | undefined, key: Key | undefined): void => {
      ui = onKey(ui, key ?? {}, ui.drill === null ? visibleVms(frame, ui).map((v) => v.uuid) : []);
      if (ui.quit) finish();
      else draw();
    };
    const onSignal = (): void => finish();
    let done = false;
    function finish(): void {
      if (done) return;
      done = true;
      clearInterval(timer);
      o.input.off('keypress', onKeypress);
      o.out.off('resize', draw);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      if (o.input.isTTY) o.input.setRawMode(false);
      o.input.pause();
      o.out.write(LEAVE);
      resolve();
    }
    emitKeypressEvents(o.input);
    if (o.input.isTTY) o.input.setRawMode(true);
    o.input.on('keypress', onKeypress);
    o.input.resume();
    o.out.on('resize', draw);
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    o.out.write(ENTER);
    draw();
  });
}
