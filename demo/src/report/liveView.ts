/**
 * The demo's live terminal view: DemoState → text. Pure; the shell decides when to
 * draw (every second on a TTY, with ANSI cursor-home redraws) and where.
 *
 *   renderFrame   the full frame: per VM and disk, each backing-chain element's
 *                 allocation against physical as a bar, growth and time-to-full,
 *                 the write rate; then firing alerts, recently resolved ones, and
 *                 the operator's notes.
 *   renderCompact a few lines for a non-TTY stdout (logs, CI), printed every few seconds.
 *   renderAlertLine  one line per alert transition.
 */
import { currentChain, timeToFullSeconds, type AlertMark, type DemoState, type DeviceView, type ElementView, type VmView } from './demoState.js';
import { bar, clip, clock, duration, mib, rate, rel } from '#top/view/format.js';

export interface FrameOptions {
  /** Header text, e.g. "qmpipe demo · live VM demo-1a2b3c". */
  title: string;
  /** Wall-clock now and start (ms), for the elapsed time and the notes. */
  now: number;
  startedAt: number;
  /** Terminal width; lines are clipped to it. */
  width?: number;
  barWidth?: number;
  /** How many resolved transitions and notes to show. */
  resolvedRows?: number;
  noteRows?: number;
}

export { bar } from '#top/view/format.js';

function ttf(e: ElementView): string {
  const s = timeToFullSeconds(e);
  if (s === null) return 'not growing';
  return s === 0 ? 'FULL' : `full in ${duration(s)}`;
}

function elementLine(dev: string, e: ElementView, barWidth: number): string {
  const growth = e.growth === null ? '' : `  +${rate(e.growth)}`;
  const free = e.free === null ? '' : `  free ${mib(e.free)} MiB`;
  return `    ${`${dev}[${e.index}]`.padEnd(8)}${bar(e.allocation, e.physical, barWidth)}${free}${growth}  ${ttf(e)}`;
}

function vmStatus(s: DemoState, vm: string): string {
  const paused = Object.values(s.firing).some((m) => m.vm === vm && m.type === 'paused-enospc');
  return paused ? 'PAUSED (ENOSPC)' : 'running';
}

function deviceLines(d: DeviceView, barWidth: number): string[] {
  return [`  ${d.dev}  write ${rate(d.writeRate)}`, ...currentChain(d).map((e) => elementLine(d.dev, e, barWidth))];
}

function vmLines(s: DemoState, v: VmView, barWidth: number): string[] {
  const devs = Object.values(v.devices).sort((a, b) => a.dev.localeCompare(b.dev));
  return [`VM ${v.vm}  ${vmStatus(s, v.vm)}  ${rel(v.t, s.firstT)}`, ...devs.flatMap((d) => deviceLines(d, barWidth))];
}

function markLine(m: AlertMark, origin: number | null): string {
  const when = m.state === 'resolved' ? `${rel(m.startsAt, origin)} → ${rel(m.t, origin)} (${duration((m.t - m.startsAt) / 1000)})` : rel(m.t, origin);
  return `  ${m.severity.padEnd(8)} ${m.type.padEnd(17)} ${m.target.padEnd(20)} ${when}  ${m.message}`;
}

function alertLines(s: DemoState, resolvedRows: number): string[] {
  const rank = (m: AlertMark) => (m.severity === 'critical' ? 0 : 1);
  const firing = Object.values(s.firing).sort((a, b) => rank(a) - rank(b) || a.t - b.t);
  const resolved = s.transitions.filter((m) => m.state === 'resolved').slice(-resolvedRows);
  return [
    `FIRING (${firing.length})`,
    ...(firing.length ? firing.map((m) => markLine(m, s.firstT)) : ['  none']),
    `RESOLVED (${s.transitions.filter((m) => m.state === 'resolved').length})`,
    ...(resolved.length ? resolved.map((m) => markLine(m, s.firstT)) : ['  none yet']),
  ];
}

export function renderFrame(s: DemoState, o: FrameOptions): string {
  const width = o.width ?? 120;
  const barWidth = o.barWidth ?? 24;
  const vms = Object.values(s.vms).sort((a, b) => a.vm.localeCompare(b.vm));
  const lines = [
    `${o.title} · ${duration((o.now - o.startedAt) / 1000)} · ${Object.keys(s.firing).length} firing · Ctrl-C stops everything`,
    '',
    ...(vms.length ? vms.flatMap((v) => [...vmLines(s, v, barWidth), '']) : ['waiting for the first sample…', '']),
    ...alertLines(s, o.resolvedRows ?? 6),
    '',
    'OPERATOR',
    ...(s.notes.length ? s.notes.slice(-(o.noteRows ?? 6)).map((n) => `  +${((n.at - o.startedAt) / 1000).toFixed(1)}s ${n.text}`) : ['  nothing yet']),
  ];
  return `${lines.map((l) => clip(l, width)).join('\n')}\n`;
}

/** A few lines for a non-TTY stdout. */
export function renderCompact(s: DemoState, now: number, startedAt: number): string {
  const head = `[view +${((now - startedAt) / 1000).toFixed(0)}s]`;
  const lines: string[] = [];
  for (const v of Object.values(s.vms)) {
    for (const d of Object.values(v.devices)) {
      const els = currentChain(d).map((e) => `${d.dev}[${e.index}] ${bar(e.allocation, e.physical, 12)} ${ttf(e)}`);
      lines.push(`${head} ${v.vm} ${vmStatus(s, v.vm)} write ${rate(d.writeRate)} | ${els.join(' | ')}`);
    }
  }
  if (lines.length === 0) lines.push(`${head} waiting for the first sample`);
  const firing = Object.values(s.firing).map((m) => `${m.type}(${m.target})`);
  lines.push(`${head} firing: ${firing.length ? firing.join(', ') : 'none'}; transitions so far: ${s.transitions.length}`);
  return `${lines.join('\n')}\n`;
}

/**
 * `ALERT FIRING   critical paused-enospc     cap-thin vda[0] lv0-format 01:46:38.9Z: message`, with the
 * record's time of day (UTC): lines are printed as they arrive, before the first record's time is known.
 */
export function renderAlertLine(m: AlertMark): string {
  return `ALERT ${m.state.toUpperCase().padEnd(8)} ${m.severity.padEnd(8)} ${m.type.padEnd(17)} ${m.vm} ${m.target} ${clock(m.t)}: ${m.message}`;
}
