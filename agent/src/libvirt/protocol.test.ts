/**
 * Decodes the real bytes recorded from libvirtd 9.0 (test/fixtures/libvirt-rpc) with the
 * procedure codecs, and checks that the encoders produce exactly the recorded requests.
 */
import { describe, expect, it } from 'vitest';
import { LifecycleEvent, MessageStatus, MessageType, QEMU_PROGRAM, RemoteProc } from './constants.js';
import type { DomainRef } from './domainRef.js';
import { decodeDomainEvent, registerDomainEvent } from './events.js';
import { decodeMessage, decodeRemoteError, encodeMessage } from './message.js';
import type { Procedure } from './procedure.js';
import { decodeMonitorEvent, monitorCommand } from './qemuCalls.js';
import * as remote from './remoteCalls.js';
import { framesOf, loadTranscript } from '#test/support/libvirt/transcript.js';
import { paramMap } from './typedParams.js';

const t = loadTranscript();
const body = (frame: Buffer) => decodeMessage(frame.subarray(4));
const reply = <A, R>(p: Procedure<A, R>, step: string, i = 0): R => {
  const m = body(framesOf(t, step, 'in')[i]!);
  expect(m.header).toMatchObject({ prog: p.program, proc: p.proc, type: MessageType.REPLY, status: MessageStatus.OK });
  return p.decode(m.payload);
};
/** Our encoding of a call must equal the recorded request byte for byte. */
const expectRequest = <A>(p: Procedure<A, unknown>, args: A, step: string, i = 0): void => {
  const recorded = framesOf(t, step, 'out')[i]!;
  const h = body(recorded).header;
  const mine = encodeMessage({ prog: p.program, vers: p.version, proc: p.proc, type: MessageType.CALL, serial: h.serial, status: 0 }, p.encode(args));
  expect(mine.toString('hex')).toBe(recorded.toString('hex'));
};

let dom: DomainRef;

describe('recorded libvirtd 9.0 conversation', () => {
  it('handshake: AUTH_LIST says none for root, CONNECT_OPEN, keepalive feature supported', () => {
    expect(reply(remote.authList, 'handshake', 0)).toEqual([0]);
    expectRequest(remote.connectOpen, { name: 'qemu:///system', flags: 0 }, 'handshake', 1);
    expect(reply(remote.connectSupportsFeature, 'handshake', 2)).toBe(true);
  });

  it('lookup by name and list of active domains', () => {
    dom = reply(remote.domainLookupByName, 'lookup-by-name');
    expect(dom.name).toBe(t.domain);
    expect(dom.uuid).toMatch(/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/);
    expect(dom.id).toBeGreaterThan(0);
    expectRequest(remote.domainLookupByName, t.domain, 'lookup-by-name');
    const all = reply(remote.connectListAllDomains, 'list-all-domains');
    expect(all).toContainEqual(dom);
    expectRequest(remote.connectListAllDomains, 1, 'list-all-domains');
  });

  it('an error reply carries virNetMessageError: VIR_ERR_NO_DOMAIN (42) from VIR_FROM_QEMU (10)', () => {
    const m = body(framesOf(t, 'lookup-missing', 'in')[0]!);
    expect(m.header.status).toBe(MessageStatus.ERROR);
    const e = decodeRemoteError(m.payload);
    expect(e).toMatchObject({ code: 42, domain: 10, level: 2 });
    expect(e.message).toContain('qmpipe-no-such-domain');
  });

  it('XML, state, info', () => {
    const xml = reply(remote.domainGetXmlDesc, 'get-xml-desc');
    expect(xml).toContain(`<name>${t.domain}</name>`);
    expectRequest(remote.domainGetXmlDesc, { dom, flags: 0 }, 'get-xml-desc');
    // running, reason 5 = VIR_DOMAIN_RUNNING_UNPAUSED (the domain had been suspended and resumed before)
    expect(reply(remote.domainGetState, 'get-state')).toEqual({ state: 1, reason: 5 });
    const info = reply(remote.domainGetInfo, 'get-info');
    expect(info).toMatchObject({ state: 1, maxMemKiB: 163840n, memoryKiB: 163840n, vcpus: 2 });
    expect(info.cpuTimeNs).toBeGreaterThan(0n);
  });

  it('all-domain stats: typed params of every union arm the daemon sent', () => {
    const [rec, ...rest] = reply(remote.connectGetAllDomainStats, 'get-all-domain-stats');
    expect(rest).toEqual([]);
    expect(rec!.domain).toEqual(dom);
    const p = paramMap(rec!);
    expect(p.get('state.state')).toEqual({ type: 'int', value: 1 });
    expect(p.get('block.count')).toEqual({ type: 'uint', value: 1 });
    expect(p.get('block.0.name')).toEqual({ type: 'string', value: 'vda' });
    expect(p.get('block.0.capacity')).toEqual({ type: 'ullong', value: 268435456 });
    expect(p.get('block.0.physical')).toEqual({ type: 'ullong', value: 100663296 });
    expect(p.get('net.0.name')?.type).toBe('string');
    expect(p.get('vcpu.current')).toEqual({ type: 'uint', value: 2 });
  });

  it('QMP passthrough returns QEMU reply JSON', () => {
    expectRequest(monitorCommand, { dom, cmd: '{"execute":"query-blockstats"}', flags: 0 }, 'monitor-command');
    const m = body(framesOf(t, 'monitor-command', 'in')[0]!);
    expect(m.header.prog).toBe(QEMU_PROGRAM);
    const json = JSON.parse(monitorCommand.decode(m.payload)) as { return: { qdev?: string }[] };
    expect(json.return[0]!.qdev).toBe('/machine/peripheral/virtio-disk0/virtio-backend');
  });

  it('event registration and the suspend/resume events, raw QMP and lifecycle', () => {
    expectRequest(registerDomainEvent, { eventId: 0, dom }, 'register-lifecycle');
    const events = framesOf(t, 'suspend-resume-events', 'in').map(body);
    expect(events.every((e) => e.header.type === MessageType.MESSAGE)).toBe(true);
    const qmp = events.filter((e) => e.header.prog === QEMU_PROGRAM).map((e) => decodeMonitorEvent(e.payload));
    expect(qmp.map((e) => e.event)).toEqual(['STOP', 'RESUME']);
    expect(qmp[0]!.domain).toEqual(dom);
    expect(qmp[0]!.seconds).toBeGreaterThan(1_700_000_000n);
    const life = events.filter((e) => e.header.proc === RemoteProc.DOMAIN_EVENT_CALLBACK_LIFECYCLE).map((e) => decodeDomainEvent(e.header.proc, e.payload));
    expect(life.map((e) => e?.kind === 'lifecycle' && e.event)).toEqual([LifecycleEvent.SUSPENDED, LifecycleEvent.RESUMED]);
  });

  it('keepalive: the daemon PINGs after 5 s of silence and the client answered PONG', () => {
    const ping = body(framesOf(t, 'keepalive', 'in')[0]!).header;
    const pong = body(framesOf(t, 'keepalive', 'out')[0]!).header;
    expect(ping).toMatchObject({ prog: 0x6b656570, proc: 1, type: MessageType.MESSAGE });
    expect(pong).toMatchObject({ prog: 0x6b656570, proc: 2, type: MessageType.MESSAGE, serial: 0 });
  });
});
