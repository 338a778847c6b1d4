import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LibvirtClient, readOnlySocketOf } from './client.js';
import { KEEPALIVE_PROGRAM, QEMU_PROGRAM, REMOTE_PROGRAM, StatsFlag, StatsGroup } from './constants.js';
import { LibvirtConnectError, LibvirtDisconnectedError, LibvirtProtocolError, LibvirtRemoteError, LibvirtTimeoutError } from './errors.js';
import type { DomainEvent } from './events.js';
import { encodeMessage } from './message.js';
import type { QemuMonitorEvent } from './qemuCalls.js';
import { FakeLibvirtd } from '#test/support/libvirt/fakeLibvirtd.js';
import { framesOf, loadTranscript } from '#test/support/libvirt/transcript.js';

const t = loadTranscript();
let fake: FakeLibvirtd;
let client: LibvirtClient | null = null;

beforeEach(async () => {
  fake = await FakeLibvirtd.start();
});
afterEach(async () => {
  await client?.close();
  client = null;
  await fake.stop();
});

const connect = async (extra: Partial<Parameters<typeof LibvirtClient.connect>[0]> = {}): Promise<LibvirtClient> =>
  (client = await LibvirtClient.connect({ socketPath: fake.socketPath, callTimeoutMs: 2000, ...extra }));
const key = (prog: number, proc: number): string => `${prog}/${proc}`;

describe('LibvirtClient against a fake daemon replaying recorded replies', () => {
  it('does the AUTH_LIST, CONNECT_OPEN, SUPPORTS_FEATURE handshake and decodes calls', async () => {
    const c = await connect();
    expect(fake.received.slice(0, 3).map((h) => h.proc)).toEqual([66, 1, 60]);
    const dom = await c.lookupDomainByName(t.domain);
    expect(dom.name).toBe(t.domain);
    const [rec] = await c.getAllDomainStats([dom], StatsGroup.BLOCK, StatsFlag.BACKING);
    expect(rec!.params.find((p) => p.field === 'block.0.name')?.value).toEqual({ type: 'string', value: 'vda' });
  });

  it('opens a read-only connection when asked (CONNECT_OPEN flags VIR_CONNECT_RO), read-write otherwise', async () => {
    const flagsOfOpen = () => {
      const i = fake.received.findIndex((h) => h.prog === REMOTE_PROGRAM && h.proc === 1);
      const payload = fake.payloads[i]!;
      return payload.readUInt32BE(payload.length - 4); // remote_connect_open_args: { name, flags }
    };
    await (await connect()).close();
    expect(flagsOfOpen()).toBe(0);
    fake.received.length = 0;
    fake.payloads.length = 0;
    client = await connect({ readOnly: true });
    expect(flagsOfOpen()).toBe(1);
  });

  it("the read-only socket beside libvirtd's or virtqemud's", () => {
    expect(readOnlySocketOf('/run/libvirt/libvirt-sock')).toBe('/run/libvirt/libvirt-sock-ro');
    expect(readOnlySocketOf('/run/libvirt/virtqemud-sock')).toBe('/run/libvirt/virtqemud-sock-ro');
    expect(readOnlySocketOf('/run/libvirt/virtqemud-sock-ro')).toBe('/run/libvirt/virtqemud-sock-ro');
  });

  it('routes replies by serial when they come back out of order', async () => {
    const c = await connect();
    fake.held.add(key(REMOTE_PROGRAM, 23));
    const dom = { name: t.domain, uuid: '00000000-0000-0000-0000-000000000001', id: 1 };
    const slow = c.lookupDomainByName(t.domain);
    const fast = c.getState(dom);
    await expect(fast).resolves.toMatchObject({ state: 1 });
    fake.release();
    await expect(slow).resolves.toMatchObject({ name: t.domain });
  });

  it('turns an error reply into LibvirtRemoteError and stays connected', async () => {
    const c = await connect();
    const err = framesOf(t, 'lookup-missing', 'in')[0]!;
    fake.silent.add(key(REMOTE_PROGRAM, 23));
    const call = c.lookupDomainByName('nope');
    await new Promise((r) => setTimeout(r, 50));
    const last = fake.received.at(-1)!;
    const reply = Buffer.from(err);
    reply.writeUInt32BE(last.serial, 20);
    fake.push(reply);
    await expect(call).rejects.toMatchObject({ code: 'LIBVIRT_REMOTE', remote: { code: 42 } });
    await expect(call).rejects.toBeInstanceOf(LibvirtRemoteError);
    expect(c.closedWith).toBeNull();
  });

  it('delivers lifecycle and QMP events to the registered listeners', async () => {
    const c = await connect();
    const life: DomainEvent[] = [];
    const qmp: QemuMonitorEvent[] = [];
    await c.subscribeDomainEvents('lifecycle', null, (e) => life.push(e));
    await c.subscribeQemuMonitorEvents({ dom: null, event: null, flags: 0 }, (e) => qmp.push(e));
    for (const f of framesOf(t, 'suspend-resume-events', 'in')) fake.push(f);
    await new Promise((r) => setTimeout(r, 100));
    expect(life.map((e) => e.kind === 'lifecycle' && e.event)).toEqual([3, 4]);
    expect(qmp.map((e) => e.event)).toEqual(['STOP', 'RESUME']);
  });

  it('answers a keepalive PING with a PONG', async () => {
    await connect();
    fake.push(encodeMessage({ prog: KEEPALIVE_PROGRAM, vers: 1, proc: 1, type: 2, serial: 0, status: 0 }, Buffer.alloc(0)));
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.received.at(-1)).toMatchObject({ prog: KEEPALIVE_PROGRAM, proc: 2, type: 2 });
  });

  it('fails every pending call with LibvirtProtocolError on garbage, then refuses new calls', async () => {
    const c = await connect();
    fake.silent.add(key(QEMU_PROGRAM, 1));
    const dom = { name: 'x', uuid: '00000000-0000-0000-0000-000000000001', id: 1 };
    const pending = [c.qemuMonitorCommand(dom, { execute: 'query-status' }), c.qemuMonitorCommand(dom, { execute: 'query-status' })];
    let closedWith: unknown = null;
    c.onClose((e) => (closedWith = e));
    fake.push(Buffer.from('ffffffff00000000', 'hex'));
    for (const p of pending) await expect(p).rejects.toBeInstanceOf(LibvirtProtocolError);
    expect(closedWith).toBeInstanceOf(LibvirtProtocolError);
    await expect(c.listAllDomains()).rejects.toBeInstanceOf(LibvirtProtocolError);
  });

  it('fails pending calls with LibvirtDisconnectedError on EOF', async () => {
    const c = await connect();
    fake.silent.add(key(REMOTE_PROGRAM, 273));
    const p = c.listAllDomains();
    await new Promise((r) => setTimeout(r, 50));
    fake.dropConnection();
    await expect(p).rejects.toBeInstanceOf(LibvirtDisconnectedError);
    expect(c.closedWith).toBeInstanceOf(LibvirtDisconnectedError);
  });

  it('times out one call without ending the connection', async () => {
    const c = await connect({ callTimeoutMs: 150 });
    fake.silent.add(key(REMOTE_PROGRAM, 273));
    await expect(c.listAllDomains()).rejects.toBeInstanceOf(LibvirtTimeoutError);
    expect(c.closedWith).toBeNull();
    await expect(c.lookupDomainByName(t.domain)).resolves.toMatchObject({ name: t.domain });
  });

  it('a peer that never answers the handshake gives LibvirtConnectError', async () => {
    fake.silent.add(key(REMOTE_PROGRAM, 66));
    await expect(LibvirtClient.connect({ socketPath: fake.socketPath, callTimeoutMs: 150 })).rejects.toBeInstanceOf(LibvirtConnectError);
  });

  it('a socket that does not exist gives LibvirtConnectError', async () => {
    await expect(LibvirtClient.connect({ socketPath: `${fake.socketPath}.missing` })).rejects.toMatchObject({ code: 'LIBVIRT_CONNECT', retriable: true });
  });

  it('a silent peer is dropped by the client keepalive after interval * count', async () => {
    const c = await connect({ keepaliveIntervalMs: 100, keepaliveCount: 2 });
    fake.silent.add(key(KEEPALIVE_PROGRAM, 1));
    const closed = new Promise((r) => c.onClose(r));
    await expect(closed).resolves.toBeInstanceOf(LibvirtDisconnectedError);
    expect(fake.received.filter((h) => h.prog === KEEPALIVE_PROGRAM && h.proc === 1).length).toBe(2);
  });
});
