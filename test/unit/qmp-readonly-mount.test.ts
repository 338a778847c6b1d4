/**
 * The deployment mounts the QMP socket directory read-only (infra/deploy: the DaemonSet's
 * /run/qmp volume, the systemd unit under ProtectSystem=strict without ReadWritePaths).
 * That holds only if connect(2) to a unix socket works through a read-only mount: the
 * kernel refuses writes on read-only mounts for regular files, directories and symlinks,
 * not for sockets. Checked here on a real read-only bind mount (needs root).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const sh = (args: string[]) => spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });

describe('a unix socket on a read-only mount', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qmp-ro-'));
  const [rw, ro] = [join(dir, 'rw'), join(dir, 'ro')];
  mkdirSync(rw);
  mkdirSync(ro);
  const bind = sh(['mount', '--bind', rw, ro]);
  const remount = bind.status === 0 ? sh(['mount', '-o', 'remount,bind,ro', ro]) : bind;
  const reason = remount.status === 0 ? '' : `cannot make a read-only bind mount (needs root): ${(remount.stderr || '').trim()}`;
  if (reason) {
    console.warn(`[qmp-readonly-mount] SKIP: ${reason}`);
    if (bind.status === 0) sh(['umount', ro]);
    rmSync(dir, { recursive: true, force: true });
  }

  it.skipIf(reason !== '')('accepts connect(2) (while creating a file there fails)', async () => {
    const srv = createServer((s) => s.end('{"QMP": {}}\n'));
    await new Promise<void>((r) => srv.listen(join(rw, 'vm.sock'), () => r()));
    try {
      const got = await new Promise<string>((resolve, reject) => {
        const c = createConnection(join(ro, 'vm.sock'));
        let text = '';
        c.on('data', (d) => (text += d.toString()));
        c.on('end', () => resolve(text));
        c.on('error', reject);
      });
      expect(got).toBe('{"QMP": {}}\n');
      expect(sh(['touch', join(ro, 'file')]).status).not.toBe(0); // it is read-only
    } finally {
      await new Promise<void>((r) => srv.close(() => r()));
      sh(['umount', ro]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
