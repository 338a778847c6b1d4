/**
 * The host's wall clock against its monotonic clock: records are stamped with wall time,
 * so a jump (an NTP step, a manual change) moves every record's time. The processor
 * refuses records far off its partition's clock (issue #14 item 1); the agent says why
 * in an AgentNotice. Pure: the poller feeds it both clocks once per tick.
 */
export interface ClockWatch {
  /** Wall minus monotonic time at the last check (ms). */
  offset: number | null;
}

export function clockWatch(): ClockWatch {
  return { offset: null };
}

/** How far the wall clock jumped since the last check (ms, negative = backwards), or 0 within `toleranceMs`. */
export function clockJump(w: ClockWatch, wallMs: number, monotonicMs: number, toleranceMs = 2_000): number {
  const offset = wallMs - monotonicMs;
  const prev = w.offset;
  w.offset = offset;
  if (prev === null) return 0;
  const jump = offset - prev;
  return Math.abs(jump) > toleranceMs ? jump : 0;
}
