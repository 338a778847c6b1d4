import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { createAllowlist } from './allowlist.js';
import { QmpClient } from './client.js';
import { QmpConnectError, QmpDisconnectedError, QmpExecuteError, QmpGreetingError, QmpRefusedError, QmpTimeoutError } from './errors.js';
import type { QmpEventMessage } from './messages.js';
import { garbageServer, replayServer, startServer, stuckServer, type FakeServer } from '#test/support/fakeQmpServer.js';
import { loadFixture } from '#test/support/transcriptLines.js';

const servers: FakeServer[] = [];
const clients: QmpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function serve(p: Promise<FakeServer>): Promise<FakeServer> {
  const s = await p;
  servers.push(s);
  return s;
}
async function connect(path: string, opts: Parameters<typeof QmpClient.connect>[1] = {}): Promise<QmpClient> {
  const c = await QmpClient.connect({ kind: 'unix', path }, opts);
  clients.push(c);
  return c;
}
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

const thin = loadFixture('thin-lv-enospc-commit.jsonl');
const kvm = loadFixture('kvm-vcpu-stats.jsonl');

describe('QmpClient against replayed QEMU 7.2 transcripts', () => {
  it('parses the greeting, negotiates, and routes replies by id', async () => {
    const srv = await serve(replayServer(kvm, { chunkBytes: 700 }));
    const c = await connect(srv.path);
    expect(c.greeting.version).toEqual({ major: 7, minor: 2, micro: 22 });
    expect(srv.received[0]).toEqual({ execute: 'qmp_capabilities', id: 'q1' });
    const name = await c.execute<{ name: string }>('query-name');
    expect(name).toEqual({ name: 'cap-kvm' });
    const stats = await c.execute<Array<{ provider: string; stats: unknown[] }>>('query-stats', { target: 'vcpu' });
    expect(stats).toHaveLength(2);
    expect(stats[0]!.provider).toBe('kvm');
    expect(stats[0]!.stats).toHaveLength(47);
  });

  it('a reply that spans several reads is whole (the sockets share one read buffer, reused by every read)', async () => {
    const srv = await serve(replayServer(kvm, { chunkBytes: 500, chunkGapMs: 5 }));
    const c = await connect(srv.path);
    const stats = await c.execute<Array<{ provider: string; stats: Array<{ name: string }> }>>('query-stats', { target: 'vcpu' });
    const asked = kvm.find((l) => l.dir === 'out' && l.msg.execute === 'query-stats' && (l.msg.arguments as { target?: string }).target === 'vcpu')!;
    const recorded = kvm.find((l) => l.dir === 'in' && l.msg.id === asked.msg.id)!;
    expect(stats).toEqual(recorded.msg.return); // 3.9 KB in 8 reads, each overwriting the buffer the last one was in
  });

  it('separates events that arrive between a command and its reply', async () => {
    const events: QmpEventMessage[] = [];
    const srv = await serve(replayServer(thin, { loop: false }));
    const c = await connect(srv.path, { onEvent: (e) => events.push(e) });
    // Walk the transcript's own command sequence; every reply must be a return value.
    // (query-version is the recorder's of old, not a command the agent sends: refused.)
    for (const l of thin.filter((x) => x.dir === 'out' && String(x.msg.execute).startsWith('query-') && x.msg.execute !== 'query-version')) {
      const v = await c.execute(String(l.msg.execute), l.msg.arguments as Record<string, unknown> | undefined);
      expect(v).toBeDefined();
    }
    const names = events.map((e) => e.event);
    expect(names).toContain('BLOCK_IO_ERROR');
    expect(names.indexOf('STOP')).toBeGreaterThan(names.indexOf('BLOCK_IO_ERROR'));
    expect(names).toContain('BLOCK_WRITE_THRESHOLD');
  });

  it('keeps at most 8 commands in flight and answers all 30 in order', async () => {
    const srv = await serve(replayServer(kvm));
    let maxSeen = 0;
    let client: QmpClient | undefined;
    const c = (client = await connect(srv.path, {
      onTraffic: (dir) => {
        if (dir === 'out') maxSeen = Math.max(maxSeen, client?.inFlight ?? 0);
      },
    }));
    const all = Array.from({ length: 30 }, () => c.execute('query-status'));
    const res = await Promise.all(all);
    expect(maxSeen).toBe(8);
    expect(res.every((r) => (r as { status: string }).status === 'running')).toBe(true);
    expect(srv.received.slice(1).map((m) => m.id)).toEqual(Array.from({ length: 30 }, (_, i) => `q${i + 2}`));
  });

  it('turns a QMP error into QmpExecuteError keeping its class', async () => {
    const srv = await serve(replayServer(kvm));
    const c = await connect(srv.path);
    const err = await rejection(c.execute('query-block-jobs')); // not in this QEMU's transcript
    expect(err).toBeInstanceOf(QmpExecuteError);
    expect((err as QmpExecuteError).errorClass).toBe('CommandNotFound');
    expect((err as QmpExecuteError).retriable).toBe(false);
  });
});

describe('QmpClient refuses what is not read-only', () => {
  it.each(['cont', 'stop', 'quit', 'system_powerdown', 'human-monitor-command', 'block-set-write-threshold'])('%s never reaches the socket', async (cmd) => {
    const srv = await serve(replayServer(kvm));
    const c = await connect(srv.path);
    const err = await rejection(c.execute(cmd, {}));
    expect(err).toBeInstanceOf(QmpRefusedError);
    await c.execute('query-status');
    expect(srv.received.map((m) => m.execute)).toEqual(['qmp_capabilities', 'query-status']);
  });

  it('sends block-set-write-threshold only when configured', async () => {
    const srv = await serve(replayServer(thin));
    const c = await connect(srv.path, { allowlist: createAllowlist(['block-set-write-threshold']) });
    await rejection(c.execute('block-set-write-threshold', { 'node-name': 'x', 'write-threshold': 1 }));
    expect(srv.received.map((m) => m.execute)).toContain('block-set-write-threshold');
  });
});

describe('QmpClient failures are typed per phase', () => {
  it('connect: no such socket', async () => {
    const err = await rejection(QmpClient.connect({ kind: 'unix', path: '/nonexistent/qmp.sock' }));
    expect(err).toBeInstanceOf(QmpConnectError);
    expect((err as QmpConnectError).retriable).toBe(true);
  });

  it('connect: TCP refused', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    expect(await rejection(QmpClient.connect({ kind: 'tcp', host: '127.0.0.1', port }))).toBeInstanceOf(QmpConnectError);
  });

  it('TCP transport: greeting, negotiation and a command', async () => {
    const srv = createServer((sock) => {
      sock.write('{"QMP":{"version":{"qemu":{"major":8,"minor":2,"micro":1},"package":""},"capabilities":["oob"]}}\r\n');
      sock.on('data', (d) => {
        for (const line of d.toString().split('\n').filter(Boolean)) {
          const { id, execute } = JSON.parse(line) as { id: string; execute: string };
          sock.write(`${JSON.stringify({ return: execute === 'query-status' ? { status: 'paused', running: false } : {}, id })}\r\n`);
        }
      });
    });
    const port = await new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as { port: number }).port)));
    try {
      const c = await QmpClient.connect({ kind: 'tcp', host: '127.0.0.1', port });
      clients.push(c);
      expect(c.greeting.version).toEqual({ major: 8, minor: 2, micro: 1 });
      expect(await c.execute('query-status')).toEqual({ status: 'paused', running: false });
    } finally {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });

  it('greeting: a stuck socket that accepts and never answers times out', async () => {
    const srv = await serve(stuckServer());
    const t0 = Date.now();
    const err = await rejection(QmpClient.connect({ kind: 'unix', path: srv.path }, { handshakeTimeoutMs: 200 }));
    expect(err).toBeInstanceOf(QmpGreetingError);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it.each([
    ['random bytes', Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x0a])],
    ['not an object', Buffer.from('[1,2,3]\r\n')],
    ['a reply before any greeting', Buffer.from('{"return":{}}\r\n')],
    ['a huge line', Buffer.alloc(3 << 20, 0x41)],
  ])('greeting: a garbage socket (%s)', async (_n, bytes) => {
    const srv = await serve(garbageServer(bytes));
    const err = await rejection(QmpClient.connect({ kind: 'unix', path: srv.path }, { handshakeTimeoutMs: 2000 }));
    expect(err).toBeInstanceOf(QmpGreetingError);
  });

  it('negotiation: qmp_capabilities answered with an error', async () => {
    const srv = await serve(
      startServer((sock) => {
        sock.write('{"QMP":{"version":{"qemu":{"major":9,"minor":0,"micro":0},"package":""},"capabilities":[]}}\r\n');
        sock.on('data', (d) => {
          const id = (JSON.parse(d.toString()) as { id: string }).id;
          sock.write(`{"error":{"class":"GenericError","desc":"no"},"id":"${id}"}\r\n`);
        });
      }),
    );
    const err = await rejection(QmpClient.connect({ kind: 'unix', path: srv.path }));
    expect((err as Error).name).toBe('QmpNegotiationError');
  });

  it('timeout: a command without reply fails with QmpTimeoutError; the late reply is dropped', async () => {
    let hold: ((s: string) => void) | undefined;
    const srv = await serve(
      startServer((sock) => {
        sock.write('{"QMP":{"version":{"qemu":{"major":7,"minor":2,"micro":0},"package":""},"capabilities":[]}}\r\n');
        sock.on('data', (d) => {
          for (const line of d.toString().split('\n').filter(Boolean)) {
            const { id, execute } = JSON.parse(line) as { id: string; execute: string };
            if (execute === 'query-status') hold = () => sock.write(`{"return":{"status":"running","running":true},"id":"${id}"}\r\n`);
            else sock.write(`{"return":{},"id":"${id}"}\r\n`);
          }
        });
      }),
    );
    const c = await connect(srv.path);
    const err = await rejection(c.execute('query-status', undefined, { timeoutMs: 100 }));
    expect(err).toBeInstanceOf(QmpTimeoutError);
    expect(c.inFlight).toBe(1); // the abandoned command still holds its slot
    hold!('');
    await new Promise((r) => setTimeout(r, 50));
    expect(c.inFlight).toBe(0);
    expect(await c.execute('query-name')).toEqual({});
  });

  it('EOF: every pending and queued command fails with QmpDisconnectedError, onClose runs once', async () => {
    // negotiates, then never answers again
    const hang = await serve(
      startServer((sock) => {
        sock.write('{"QMP":{"version":{"qemu":{"major":7,"minor":2,"micro":0},"package":""},"capabilities":[]}}\r\n');
        sock.once('data', (d) => sock.write(`{"return":{},"id":"${(JSON.parse(d.toString()) as { id: string }).id}"}\r\n`));
      }),
    );
    const closes: Error[] = [];
    const c = await connect(hang.path, { onClose: (e) => closes.push(e) });
    const ps = Array.from({ length: 12 }, () => rejection(c.execute('query-status')));
    hang.dropClients();
    const errs = await Promise.all(ps);
    expect(errs.every((e) => e instanceof QmpDisconnectedError)).toBe(true);
    expect(closes).toHaveLength(1);
    expect(await rejection(c.execute('query-status'))).toBeInstanceOf(QmpDisconnectedError);
  });

  it('a reply with an unknown id is dropped and logged; the connection goes on', async () => {
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (m: string) => warnings.push(m), child: () => logger };
    const srv = await serve(
      startServer((sock) => {
        sock.write('{"QMP":{"version":{"qemu":{"major":7,"minor":2,"micro":0},"package":""},"capabilities":[]}}\r\n');
        sock.on('data', (d) => {
          for (const line of d.toString().split('\n').filter(Boolean)) {
            const { id } = JSON.parse(line) as { id: string };
            sock.write(`{"return":{},"id":"bogus"}\r\n{"return":{"ok":1},"id":"${id}"}\r\n`);
          }
        });
      }),
    );
    const c = await connect(srv.path, { logger });
    expect(await c.execute('query-status')).toEqual({ ok: 1 });
    expect(warnings).toContain('QMP reply with unknown id dropped');
  });

  it('garbage after negotiation closes the connection with a protocol cause', async () => {
    const srv = await serve(
      startServer((sock) => {
        sock.write('{"QMP":{"version":{"qemu":{"major":7,"minor":2,"micro":0},"package":""},"capabilities":[]}}\r\n');
        sock.once('data', (d) => {
          sock.write(`{"return":{},"id":"${(JSON.parse(d.toString()) as { id: string }).id}"}\r\n`);
          sock.once('data', () => sock.write('not json at all\r\n'));
        });
      }),
    );
    const c = await connect(srv.path);
    const err = await rejection(c.execute('query-status'));
    expect(err).toBeInstanceOf(QmpDisconnectedError);
    expect(((err as Error).cause as Error).name).toBe('QmpProtocolError');
  });
});
