/**
 * The demo's operator, as a pure state machine: (state, QMP event or clock tick) →
 * (state, actions). The shell (operatorShell.ts) feeds it the VM's events from the
 * operator QMP socket and a tick every 250 ms, and carries out the actions.
 *
 * The script, after the fixture thin-lv-enospc-commit.jsonl:
 *   filling     the guest writes into a thin qcow2 on a 96 MiB "LV"
 *   paused      BLOCK_IO_ERROR{nospace} (or STOP with status io-error): hold `pauseHoldMs`
 *               so paused-enospc is seen firing, then grow the device by growMiB and `cont`
 *   resumed     after `snapshotAfterMs`: live snapshot (a qcow2 file overlay becomes the
 *               active layer, the LV becomes backingIndex 1) and a write threshold on the
 *               LV's storage node `thresholdMarginMiB` below its size
 *   snapshotted after `commitAfterMs`: active block-commit of the overlay into the LV
 *   committing  the base grows (commit-growth on backingIndex 1); when it runs out of
 *               space (BLOCK_JOB_ERROR) hold `jobErrorHoldMs`, then grow the base by
 *               commitGrowMiB (commit-retry). A job that failed meanwhile (BLOCK_JOB_COMPLETED
 *               with an error: QEMU's default on-error=report) is started again on the
 *               grown base, once, at retrySpeedBytes
 *   completing  BLOCK_JOB_READY → block-job-complete
 *   done        BLOCK_JOB_COMPLETED / BLOCK_JOB_CANCELLED; finish after `tailMs`
 * No ENOSPC within `noEnospcAfterMs` (a file-backed disk cannot run out): go on with
 * the snapshot anyway. No READY within `readyTimeoutMs` of growing the base, or the
 * job running longer than `jobTimeoutMs`: block-job-cancel (force).
 */

export interface OperatorConfig {
  /** Size of the loop device at start (MiB). */
  backingMiB: number;
  /** Virtual size of the disk (MiB), for the overlay. */
  diskMiB: number;
  growMiB: number;
  commitGrowMiB: number;
  thresholdMarginMiB: number;
  commitSpeedBytes: number;
  retrySpeedBytes: number;
  pauseHoldMs: number;
  snapshotAfterMs: number;
  commitAfterMs: number;
  jobErrorHoldMs: number;
  readyTimeoutMs: number;
  jobTimeoutMs: number;
  noEnospcAfterMs: number;
  tailMs: number;
  /** Where the overlay qcow2 file goes (created by the shell before blockdev-add). */
  overlayPath: string;
}

export const defaultOperatorConfig: OperatorConfig = {
  backingMiB: 96,
  diskMiB: 256,
  growMiB: 64,
  commitGrowMiB: 128,
  thresholdMarginMiB: 8,
  commitSpeedBytes: 4 << 20,
  retrySpeedBytes: 16 << 20,
  pauseHoldMs: 3_000,
  snapshotAfterMs: 4_000,
  commitAfterMs: 8_000,
  jobErrorHoldMs: 3_000,
  readyTimeoutMs: 30_000,
  jobTimeoutMs: 120_000,
  noEnospcAfterMs: 60_000,
  tailMs: 6_000,
  overlayPath: 'top.qcow2',
};

export type Phase =
  | 'filling'
  | 'paused'
  | 'resumed'
  | 'snapshotted'
  | 'committing'
  | 'commit-error'
  | 'commit-retry'
  | 'completing'
  | 'cancelling'
  | 'done'
  | 'finished';

export interface OperatorState {
  phase: Phase;
  /** When the phase began (ms). */
  since: number;
  /** When the commit started (ms), for jobTimeoutMs. */
  jobStarted: number | null;
  physicalMiB: number;
  /** block-commit attempts so far. */
  attempts: number;
  /** The current attempt ended with an error (and has not been retried). */
  jobFailed: boolean;
}

export type OperatorInput = { kind: 'event'; now: number; event: string; data: Record<string, unknown> } | { kind: 'tick'; now: number };

export type OperatorAction =
  | { kind: 'note'; text: string }
  | { kind: 'grow'; toMiB: number }
  | { kind: 'create-overlay'; path: string; sizeMiB: number }
  | { kind: 'qmp'; execute: string; arguments?: Record<string, unknown> }
  | { kind: 'finish'; reason: string };

export const JOB_ID = 'commit0';
export const NODES = { baseFormat: 'lv0-format', baseStorage: 'lv0-storage', topFormat: 'top-format', topStorage: 'top-storage' } as const;

export function initialOperator(cfg: OperatorConfig, now: number): OperatorState {
  return { phase: 'filling', since: now, jobStarted: null, physicalMiB: cfg.backingMiB, attempts: 0, jobFailed: false };
}

type Step = { state: OperatorState; actions: OperatorAction[] };
const to = (s: OperatorState, phase: Phase, now: number, extra: Partial<OperatorState> = {}): OperatorState => ({ ...s, ...extra, phase, since: now });

function isEnospc(event: string, data: Record<string, unknown>): boolean {
  return (event === 'BLOCK_IO_ERROR' && data.nospace === true) || (event === 'STOP' && data.status === 'io-error');
}

function onEvent(cfg: OperatorConfig, s: OperatorState, i: Extract<OperatorInput, { kind: 'event' }>): Step {
  const { event, data, now } = i;
  if ((s.phase === 'filling' || s.phase === 'resumed') && isEnospc(event, data)) {
    const node = typeof data['node-name'] === 'string' ? ` on ${data['node-name']}` : '';
    return {
      state: to(s, 'paused', now),
      actions: [{ kind: 'note', text: `guest paused: ENOSPC${node} at ${s.physicalMiB} MiB; extending the volume in ${cfg.pauseHoldMs / 1000} s` }],
    };
  }
  const jobEvent = data.device === JOB_ID || data.id === JOB_ID;
  if (!jobEvent) return { state: s, actions: [] };
  if (event === 'BLOCK_JOB_ERROR' && s.phase === 'committing' && s.attempts >= 2) return cancel(s, now, `${JOB_ID} failed again`);
  if (event === 'BLOCK_JOB_ERROR' && s.phase === 'committing') {
    return {
      state: to(s, 'commit-error', now),
      actions: [{ kind: 'note', text: `${JOB_ID}: write error on the base (${s.physicalMiB} MiB full); extending it in ${cfg.jobErrorHoldMs / 1000} s` }],
    };
  }
  if (event === 'BLOCK_JOB_READY' && ['committing', 'commit-error', 'commit-retry'].includes(s.phase)) {
    return {
      state: to(s, 'completing', now),
      actions: [
        { kind: 'note', text: `${JOB_ID} is ready (top and base in sync): block-job-complete` },
        { kind: 'qmp', execute: 'block-job-complete', arguments: { device: JOB_ID } },
      ],
    };
  }
  const failed = event === 'BLOCK_JOB_COMPLETED' && typeof data.error === 'string';
  if (failed && (s.phase === 'commit-error' || s.phase === 'commit-retry') && s.attempts < 2) {
    return {
      state: { ...s, jobFailed: true },
      actions: [{ kind: 'note', text: `${JOB_ID} failed: ${String(data.error)}; it is started again once the base has grown` }],
    };
  }
  if (event === 'BLOCK_JOB_COMPLETED' || event === 'BLOCK_JOB_CANCELLED') {
    const how =
      event === 'BLOCK_JOB_CANCELLED'
        ? 'cancelled'
        : typeof data.error === 'string'
          ? `failed: ${data.error}`
          : 'completed: the base is the active layer again';
    return { state: to(s, 'done', now), actions: [{ kind: 'note', text: `${JOB_ID} ${how}` }] };
  }
  return { state: s, actions: [] };
}

function commit(s: OperatorState, now: number, speed: number, why: string): Step {
  return {
    state: to(s, 'committing', now, { jobStarted: now, attempts: s.attempts + 1, jobFailed: false }),
    actions: [
      { kind: 'note', text: `${why}active block-commit ${JOB_ID}: ${NODES.topFormat} → ${NODES.baseFormat} at ${speed >> 20} MiB/s` },
      {
        kind: 'qmp',
        execute: 'block-commit',
        arguments: { device: NODES.topFormat, 'job-id': JOB_ID, 'top-node': NODES.topFormat, 'base-node': NODES.baseFormat, speed },
      },
    ],
  };
}

function cancel(s: OperatorState, now: number, why: string): Step {
  return {
    state: to(s, 'cancelling', now),
    actions: [
      { kind: 'note', text: `${why}: block-job-cancel` },
      { kind: 'qmp', execute: 'block-job-cancel', arguments: { device: JOB_ID, force: true } },
    ],
  };
}

function snapshot(cfg: OperatorConfig, s: OperatorState, now: number, why: string): Step {
  const threshold = (s.physicalMiB - cfg.thresholdMarginMiB) * 1024 * 1024;
  return {
    state: to(s, 'snapshotted', now),
    actions: [
      {
        kind: 'note',
        text: `${why}live snapshot: ${NODES.topFormat} (qcow2 file) becomes the active layer, ${NODES.baseFormat} backingIndex 1; write threshold ${s.physicalMiB - cfg.thresholdMarginMiB} MiB on ${NODES.baseStorage}`,
      },
      { kind: 'create-overlay', path: cfg.overlayPath, sizeMiB: cfg.diskMiB },
      { kind: 'qmp', execute: 'blockdev-add', arguments: { driver: 'file', filename: cfg.overlayPath, 'node-name': NODES.topStorage } },
      { kind: 'qmp', execute: 'blockdev-add', arguments: { driver: 'qcow2', file: NODES.topStorage, 'node-name': NODES.topFormat, backing: null } },
      { kind: 'qmp', execute: 'blockdev-snapshot', arguments: { node: NODES.baseFormat, overlay: NODES.topFormat } },
      { kind: 'qmp', execute: 'block-set-write-threshold', arguments: { 'node-name': NODES.baseStorage, 'write-threshold': threshold } },
    ],
  };
}

function onTick(cfg: OperatorConfig, s: OperatorState, now: number): Step {
  const after = (ms: number) => now - s.since >= ms;
  switch (s.phase) {
    case 'filling':
      return after(cfg.noEnospcAfterMs)
        ? snapshot(cfg, s, now, `no ENOSPC after ${cfg.noEnospcAfterMs / 1000} s (file-backed disk?); `)
        : { state: s, actions: [] };
    case 'paused': {
      if (!after(cfg.pauseHoldMs)) break;
      const size = s.physicalMiB + cfg.growMiB;
      return {
        state: to(s, 'resumed', now, { physicalMiB: size }),
        actions: [
          { kind: 'grow', toMiB: size },
          { kind: 'qmp', execute: 'cont' },
          { kind: 'note', text: `grew the volume ${s.physicalMiB} → ${size} MiB and sent cont` },
        ],
      };
    }
    case 'resumed':
      return after(cfg.snapshotAfterMs) ? snapshot(cfg, s, now, '') : { state: s, actions: [] };
    case 'snapshotted':
      return after(cfg.commitAfterMs) ? commit(s, now, cfg.commitSpeedBytes, '') : { state: s, actions: [] };
    case 'commit-error': {
      if (!after(cfg.jobErrorHoldMs)) break;
      const size = s.physicalMiB + cfg.commitGrowMiB;
      return {
        state: to(s, 'commit-retry', now, { physicalMiB: size }),
        actions: [
          { kind: 'grow', toMiB: size },
          { kind: 'note', text: `grew the base ${s.physicalMiB} → ${size} MiB; ${JOB_ID} retries` },
        ],
      };
    }
    case 'commit-retry':
      if (s.jobFailed) return commit(s, now, cfg.retrySpeedBytes, 'again on the grown base: ');
      if (after(cfg.readyTimeoutMs)) return cancel(s, now, `${JOB_ID} not ready ${cfg.readyTimeoutMs / 1000} s after the base grew`);
      break;
    case 'done':
      return after(cfg.tailMs) ? { state: to(s, 'finished', now), actions: [{ kind: 'finish', reason: 'the commit ended' }] } : { state: s, actions: [] };
    default:
      break;
  }
  if (s.jobStarted !== null && ['committing', 'completing'].includes(s.phase) && now - s.jobStarted >= cfg.jobTimeoutMs)
    return cancel(s, now, `${JOB_ID} still running after ${cfg.jobTimeoutMs / 1000} s`);
  return { state: s, actions: [] };
}

export function decide(cfg: OperatorConfig, s: OperatorState, i: OperatorInput): Step {
  if (s.phase === 'finished') return { state: s, actions: [] };
  return i.kind === 'event' ? onEvent(cfg, s, i) : onTick(cfg, s, i.now);
}
