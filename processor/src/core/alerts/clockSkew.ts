/**
 * clock-skew (critical): a host's clock is measured more than `clock.maxSkewMs` off the
 * broker's (clock/skew.ts), so its records are refused and none of its VMs is monitored.
 * Resolves when the host's clock is back within the limit, or when the host has sent
 * nothing for the TTL. One alert per host: its labels carry the host and no VM.
 */
import type { Alert, AlertLabels } from '#schemas/outputs.js';
import type { CoreContext } from '../context.js';
import type { HostSkew } from '../state/state.js';
import { CRITICAL, NONE, alertKey, observe } from './machine.js';

function labelsOf(host: string): AlertLabels {
  return { host, vm: '', vmUuid: '', device: '', backingIndex: null, node: '', blockJob: '', image: '' };
}

const KEY = alertKey('clock-skew', labelsOf(''));

/**
 * `beyond`: the host's estimate is past the limit. `t`: the time of the transition (the
 * record's broker timestamp, or the partition's clock when the host is forgotten).
 */
export function clockSkewCheck(s: HostSkew, beyond: boolean, t: number, ctx: CoreContext, out: Alert[], why?: string): void {
  if (ctx.disabled.has('clock-skew') || (!beyond && !(KEY in s.alerts))) return;
  const limit = ctx.config.clock.maxSkewMs / 1000;
  const value = s.estimate / 1000;
  const message = beyond
    ? () =>
        `host ${s.host}: its clock is ${value.toFixed(1)} s off the broker's (more than ±${limit} s): its records are refused (dead letter CLOCK_SKEW); fix the host's time sync`
    : (why ?? `host ${s.host}: its clock is back within ±${limit} s of the broker's (${value.toFixed(1)} s)`);
  observe(s.alerts, KEY, 'clock-skew', labelsOf(s.host), { level: beyond ? CRITICAL : NONE, value, threshold: limit, message }, t, out, ctx.routing);
}
