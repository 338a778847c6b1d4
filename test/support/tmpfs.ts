/**
 * A tiny tmpfs for tests of what happens when a disk fills (ENOSPC). Needs root (or
 * CAP_SYS_ADMIN): `mountTinyFs` returns the reason instead of a path when mounting is
 * not possible here, for the test to skip and print. Unmount in afterAll.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type TinyFs = { ok: true; dir: string; unmount(): void } | { ok: false; reason: string };

export function mountTinyFs(sizeKiB: number): TinyFs {
  const dir = mkdtempSync(join(tmpdir(), 'qmpipe-tinyfs-'));
  const res = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k,mode=0700`, 'qmpipe-test', dir], { encoding: 'utf8' });
  if (res.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return { ok: false, reason: `cannot mount a ${sizeKiB} KiB tmpfs (needs root): ${(res.stderr || res.error?.message || '').trim()}` };
  }
  return {
    ok: true,
    dir,
    unmount() {
      const u = spawnSync('umount', [dir], { encoding: 'utf8' });
      if (u.status !== 0) console.error(`[tmpfs] umount ${dir} failed: ${u.stderr}`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}
