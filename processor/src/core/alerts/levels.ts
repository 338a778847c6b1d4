/**
 * Level functions with hysteresis: an alert enters a level at its threshold and
 * leaves it only past the threshold plus a margin, so input flapping around a
 * threshold fires once and stays firing.
 */
import { CRITICAL, NONE, WARNING, type Level } from './machine.js';

/** Higher is worse (a ratio): enter at ≥ warn / ≥ crit, leave below threshold − margin. */
export function levelAbove(x: number, warn: number, crit: number, margin: number, cur: Level): Level {
  if (x >= crit - (cur === CRITICAL ? margin : 0)) return CRITICAL;
  if (x >= warn - (cur !== NONE ? margin : 0)) return WARNING;
  return NONE;
}

/** Lower is worse (free bytes, seconds to full): enter below warn / crit, leave at ≥ threshold + margin. */
export function levelBelow(x: number, warn: number, crit: number, margin: (threshold: number) => number, cur: Level): Level {
  if (x < crit + (cur === CRITICAL ? margin(crit) : 0)) return CRITICAL;
  if (x < warn + (cur !== NONE ? margin(warn) : 0)) return WARNING;
  return NONE;
}

const MiB = 1024 * 1024;

/** Bytes for messages: MiB with one decimal (GiB from 10 GiB on). */
export function fmtBytes(b: number): string {
  if (Math.abs(b) >= 10 * 1024 * MiB) return `${(b / (1024 * MiB)).toFixed(1)} GiB`;
  return `${(b / MiB).toFixed(1)} MiB`;
}

export function fmtSeconds(s: number): string {
  if (s >= 3600) return `${(s / 3600).toFixed(1)} h`;
  if (s >= 120) return `${(s / 60).toFixed(1)} min`;
  return `${s.toFixed(1)} s`;
}
