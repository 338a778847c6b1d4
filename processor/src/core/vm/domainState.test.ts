/** QMP run states → libvirt's state.state/state.reason, as libvirt's QEMU driver maps them. */
import { describe, expect, it } from 'vitest';
import { domainStateOf } from './domainState.js';

describe('domainStateOf', () => {
  it.each([
    // status           state reason  (libvirt-domain.h)
    ['paused', 3, 1], // VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_USER
    ['prelaunch', 3, 1],
    ['io-error', 3, 5], // VIR_DOMAIN_PAUSED_IOERROR
    ['inmigrate', 3, 2], // VIR_DOMAIN_PAUSED_MIGRATION
    ['postmigrate', 3, 2],
    ['finish-migrate', 3, 2],
    ['save-vm', 3, 3], // VIR_DOMAIN_PAUSED_SAVE
    ['watchdog', 3, 6], // VIR_DOMAIN_PAUSED_WATCHDOG
    ['debug', 3, 0], // VIR_DOMAIN_PAUSED_UNKNOWN
    ['internal-error', 3, 0],
    ['restore-vm', 3, 0],
    ['colo', 3, 0], // not a status libvirt knows
    ['shutdown', 4, 0], // VIR_DOMAIN_SHUTDOWN, VIR_DOMAIN_SHUTDOWN_UNKNOWN
    ['guest-panicked', 6, 1], // VIR_DOMAIN_CRASHED, VIR_DOMAIN_CRASHED_PANICKED
    ['suspended', 7, 0], // VIR_DOMAIN_PMSUSPENDED
  ])('%s → state %i reason %i', (status, state, reason) => {
    expect(domainStateOf(status, 1, 0)).toEqual([state, reason]);
  });

  it('running: unknown at first sight, unpaused after a pause, wakeup after a suspend, else as it was', () => {
    expect(domainStateOf('running', -1, -1)).toEqual([1, 0]);
    expect(domainStateOf('running', 3, 5)).toEqual([1, 5]); // VIR_DOMAIN_RUNNING_UNPAUSED
    expect(domainStateOf('running', 7, 0)).toEqual([1, 8]); // VIR_DOMAIN_RUNNING_WAKEUP
    expect(domainStateOf('running', 1, 5)).toEqual([1, 5]);
  });
});
