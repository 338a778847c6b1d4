/**
 * `qmpipe demo --no-view` live, as `npm run demo` runs it, on the integration stack: a test
 * VM fills a thin qcow2 on a loop device while the agent, the processor and the demo's
 * operator run. Once on the VM's own QMP socket, once (`--libvirt`) as a transient
 * libvirt domain that the agent reaches through the real libvirtd (qmp mode) and the
 * operator drives with virsh. Asserts the story the demo tells (watermark before the
 * ENOSPC pause, the pause resolved by the operator, commit-growth on the base during the
 * block-commit), the Parquet objects against S3, the report, and that nothing it started
 * is left running. Needs a built dist/ (`npm run build`); skips, saying why, without a
 * loop device (the ENOSPC pause needs one) or, for --libvirt, without root.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alertLines, expectListedParquet, runDemo } from './helpers/demo.js';
import { machine } from './helpers/index.js';
import { libvirtUnavailable } from './libvirt-support.js';

const m = machine();
const noLibvirt = libvirtUnavailable();
if (!m.loop) console.log(`[demo-live] skipped: no loop device (${m.loopReason})`);
else if (noLibvirt) console.log(`[demo-live] --libvirt skipped: ${noLibvirt}`);

/** Pids whose command line names `vm` (QEMU is started with `-name <vm>` or `guest=<vm>`). */
function processesNaming(vm: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (
        readFileSync(`/proc/${pid}/cmdline`, 'utf8')
          .split('\0')
          .some((a) => a.includes(vm))
      )
        found.push(Number(pid));
    } catch {
      /* gone */
    }
  }
  return found;
}

async function liveDemo(args: string[], nodePrefix: string): Promise<void> {
  const r = await runDemo(['--no-view', '--seconds', '240', ...args]);
  expect(r.code, r.stderr.slice(-3000)).toBe(0);
  expect(r.stdout).not.toContain('\x1b[');
  const vm = /^OPERATOR \+[\d.]+s watching (demo-[0-9a-f]{6})/m.exec(r.stdout)?.[1];
  expect(vm, r.stdout.slice(0, 2000)).toBeDefined();
  const alerts = alertLines(r.stdout, vm);
  const at = (type: string, state: string, target?: RegExp) =>
    alerts.findIndex((a) => a.type === type && a.state === state && (target === undefined || target.test(a.target)));
  // The chain's nodes as the agent saw them: QEMU's names on a raw socket, libvirt's through libvirtd.
  expect(alerts.every((a) => a.target.includes(nodePrefix) || a.target.startsWith('vda job'))).toBe(true);
  expect(at('watermark', 'firing', /^vda\[0\] /)).toBeGreaterThanOrEqual(0);
  expect(at('paused-enospc', 'firing')).toBeGreaterThan(at('watermark', 'firing', /^vda\[0\] /));
  expect(at('paused-enospc', 'resolved')).toBeGreaterThan(at('paused-enospc', 'firing'));
  expect(at('commit-growth', 'firing', /^vda\[1\] /)).toBeGreaterThan(at('paused-enospc', 'resolved'));
  expect(r.stdout).toContain('alert type paused-enospc: firing, resolved');
  await expectListedParquet(r.stdout);
  const report = /^HTML report: (.+report\.html)$/m.exec(r.stdout)?.[1];
  expect(report && existsSync(report)).toBe(true);
  expect(r.stdout).toMatch(/^time to first alert: [\d.]+ s after the command started$/m);
  expect(processesNaming(vm!)).toEqual([]);
  console.log(`[demo-live] ${args.join(' ') || 'raw socket'}: ${vm}, ${alerts.length} alert transitions, ${/^time to first alert: .*$/m.exec(r.stdout)?.[0]}`);
}

describe.skipIf(!m.loop)('qmpipe demo, live', () => {
  it('on the VM own QMP socket: watermark, ENOSPC pause and resume, commit-growth, Parquet on S3, a report, nothing left running', async () => {
    await liveDemo([], 'lv0-');
  });

  it.skipIf(noLibvirt !== null)('--libvirt: the same story through libvirtd, the domain untouched, libvirt stopped again', async () => {
    await liveDemo(['--libvirt'], 'libvirt-');
  });
});
