/**
 * Messages a QMP connection reads and does not deliver: an event or reply nested past
 * maxJsonDepth (JSON.stringify of it threw RangeError inside the socket's read callback,
 * which ended the process), and a handler that throws. Each is counted, and the
 * connection goes on. Against a QMP server double on a real unix socket.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '#common/log.js';
import { startServer, type FakeServer } from '#test/support/fakeQmpServer.js';
import { QmpClient } from './client.js';
import { DropReport, type QmpDrop } from './dropReport.js';
import { QmpProtocolError } from './errors.js';

const GREETING = '{"QMP":{"version":{"qemu":{"major":9,"minor":0,"micro":0},"package":""},"capabilities":[]}}\r\n';
const deep = (d: number): string => `${'['.repeat(d)}${']'.repeat(d)}`;
const event = (name: string, data: string): string => `{"timestamp":{"seconds":1,"microseconds":2},"event":"${name}","data":${data}}\r\n`;

const servers: FakeServer[] = [];
const clients: QmpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Greets, answers qmp_capabilities with {}, and every later command with `answer(id, execute)`. */
async function qmpServer(answer: (id: string, execute: string) => string): Promise<FakeServer> {
  const srv = await startServer((sock: Socket) => {
    sock.write(GREETING);
    sock.on('data', (d) => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        const { id, execute } = JSON.parse(line) as { id: string; execute: string };
        sock.write(execute === 'qmp_capabilities' ? `{"return":{},"id":"${id}"}\r\n` : answer(id, execute));
      }
    });
  });
  servers.push(srv);
  return srv;
}

async function connect(path: string, opts: Parameters<typeof QmpClient.connect>[1]): Promise<QmpClient> {
  const c = await QmpClient.connect({ kind: 'unix', path }, opts);
  clients.push(c);
  return c;
}

describe('QmpClient drops what it cannot deliver and goes on', () => {
  it('a 10,000-deep event is dropped and counted; the events around it and the reply arrive', async () => {
    const srv = await qmpServer(
      (id) => `${event('STOP', '{}')}${event('DEEP', `{"a":${deep(10_000)}}`)}${event('RESUME', '{}')}{"return":{"ok":1},"id":"${id}"}\r\n`,
    );
    const drops: QmpDrop[] = [];
    const events: string[] = [];
    const traffic: unknown[] = [];
    const c = await connect(srv.path, {
      onDropped: (d) => drops.push(d),
      onEvent: (ev) => events.push(`${ev.event}:${JSON.stringify(ev.data)}`), // the stringify that threw RangeError
      onTraffic: (_dir, msg) => traffic.push(msg),
    });
    expect(await c.execute('query-status')).toEqual({ ok: 1 });
    expect(events).toEqual(['STOP:{}', 'RESUME:{}']);
    expect(drops).toEqual([{ reason: 'too-deep', what: 'event DEEP' }]);
    expect(traffic.some((m) => JSON.stringify(m).includes('DEEP'))).toBe(false); // never parsed
    expect(c.closed).toBe(false);
  });

  it('a reply nested past maxJsonDepth fails its command with a too-deep protocol error; the next command is answered', async () => {
    let n = 0;
    const srv = await qmpServer((id) => (n++ === 0 ? `{"return":{"a":${deep(40)}},"id":"${id}"}\r\n` : `{"return":{"a":${deep(20)}},"id":"${id}"}\r\n`));
    const drops: QmpDrop[] = [];
    const c = await connect(srv.path, { maxJsonDepth: 32, onDropped: (d) => drops.push(d) });
    const err = await c.execute('query-block').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmpProtocolError);
    expect((err as QmpProtocolError).problem).toBe('too-deep');
    expect(await c.execute('query-block')).toEqual({ a: expect.any(Array) });
    expect(drops).toEqual([{ reason: 'too-deep', what: 'reply q2' }]);
    expect(c.inFlight).toBe(0);
  });

  it('an event handler that throws is counted; the read path and the connection go on', async () => {
    const srv = await qmpServer((id) => `${event('BAD', '{}')}${event('GOOD', '{}')}{"return":{},"id":"${id}"}\r\n`);
    const drops: QmpDrop[] = [];
    const seen: string[] = [];
    const c = await connect(srv.path, {
      onDropped: (d) => drops.push(d),
      onEvent: (ev) => {
        if (ev.event === 'BAD') throw new RangeError('Maximum call stack size exceeded');
        seen.push(ev.event);
      },
    });
    expect(await c.execute('query-status')).toEqual({});
    expect(await c.execute('query-status')).toEqual({});
    expect(seen).toEqual(['GOOD', 'GOOD']);
    expect(drops).toHaveLength(2);
    expect(drops[0]).toEqual({ reason: 'handler-error', what: 'event BAD', error: expect.stringContaining('Maximum call stack size exceeded') });
  });
});

describe('DropReport', () => {
  it('counts every drop and logs the first, then at most one line per interval with the count since', () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = { warn: (_m: string, f: Record<string, unknown>) => lines.push(f) } as unknown as Logger;
    const counted: string[] = [];
    let now = 0;
    const r = new DropReport(
      log,
      (reason) => counted.push(reason),
      () => now,
      60_000,
    );
    for (let i = 0; i < 1000; i++) {
      now = i * 100; // ten a second for 100 s
      r.note({ reason: 'too-deep', what: 'event X' });
    }
    expect(counted).toHaveLength(1000);
    expect(lines.map((l) => l.droppedSinceLastLine)).toEqual([1, 600]);
  });
});
