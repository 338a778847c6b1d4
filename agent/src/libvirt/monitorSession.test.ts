import { describe, expect, it } from 'vitest';
import { QmpExecuteError, QmpProtocolError } from '../qmp/errors.js';
import type { QmpDrop } from '../qmp/dropReport.js';
import type { LibvirtHost } from './host.js';
import type { QemuMonitorEvent } from './qemuCalls.js';
import { openMonitorSession, parseMonitorReply, toEventMessage } from './monitorSession.js';

describe('QMP through libvirt: replies and events', () => {
  it('a return value, a QMP error class, and garbage as a protocol error', () => {
    expect(parseMonitorReply('query-status', '{"return":{"status":"running","running":true},"id":"libvirt-12"}')).toEqual({ status: 'running', running: true });
    expect(() => parseMonitorReply('query-stats', '{"error":{"class":"CommandNotFound","desc":"no"}}')).toThrow(QmpExecuteError);
    expect(() => parseMonitorReply('query-stats', '{"error":{"class":"CommandNotFound","desc":"no"}}')).toThrow(/CommandNotFound/);
    for (const bad of ['not json', '[1,2]', '{"neither":1}']) expect(() => parseMonitorReply('query-block', bad)).toThrow(QmpProtocolError);
  });

  it("libvirt's monitor event → the event the QMP client would have parsed", () => {
    const dom = { name: 'vm1', uuid: 'u', id: 1 };
    expect(toEventMessage({ callbackId: 1, domain: dom, event: 'STOP', seconds: 1796233789n, micros: 177, details: null })).toEqual({
      kind: 'event',
      event: 'STOP',
      data: {},
      timestamp: { seconds: 1796233789, microseconds: 177 },
    });
    expect(
      toEventMessage({ callbackId: 1, domain: dom, event: 'BLOCK_IO_ERROR', seconds: 1n, micros: 2, details: '{"device":"","nospace":true}' })?.data,
    ).toEqual({
      device: '',
      nospace: true,
    });
    expect(toEventMessage({ callbackId: 1, domain: dom, event: 'X', seconds: 1n, micros: 2, details: '{broken' })?.data).toEqual({});
  });

  it('a reply or event nested deeper than the limit is not parsed (JSON.stringify of it would throw RangeError)', () => {
    const deep = `{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    expect(() => parseMonitorReply('query-block', `{"return":${deep}}`)).toThrow(/nested deeper than 256/);
    expect(toEventMessage({ callbackId: 1, domain: { name: 'vm1', uuid: 'u', id: 1 }, event: 'X', seconds: 1n, micros: 2, details: deep })).toBeUndefined();
    expect(parseMonitorReply('query-block', `{"return":${deep}}`, 20_001)).toEqual({ a: expect.any(Array) });
  });
});

describe('a session through libvirt (a fake libvirt connection at the client interface)', () => {
  function fakeHost(replies: Record<string, string>) {
    const sent: string[] = [];
    const client = {
      qemuMonitorCommand: async (_dom: unknown, cmd: { execute: string }) => {
        sent.push(cmd.execute);
        return replies[cmd.execute] ?? '{"error":{"class":"CommandNotFound","desc":"no"}}';
      },
      onClose: () => () => {},
    };
    const listeners: Array<(ev: QemuMonitorEvent) => void> = [];
    const onMonitorEvent = (_uuid: string, fn: (ev: QemuMonitorEvent) => void) => {
      listeners.push(fn);
      return () => {};
    };
    const host = { client, onMonitorEvent } as unknown as LibvirtHost;
    const emit = (event: string, details: string | null): void => {
      for (const fn of listeners) fn({ callbackId: 1, domain: dom, event, seconds: 1n, micros: 2, details });
    };
    return { host, sent, emit };
  }
  const dom = { name: 'vm1', uuid: 'u', id: 1 };

  it('opens with the greeting libvirt cannot give, built from query-version; the allowlist holds', async () => {
    const { host, sent } = fakeHost({
      'query-version': '{"return":{"qemu":{"major":7,"minor":2,"micro":22},"package":"Debian"}}',
      'query-status': '{"return":{"status":"running","running":true}}',
    });
    const s = await openMonitorSession(host, dom, {});
    expect(s.greeting).toEqual({ kind: 'greeting', version: { major: 7, minor: 2, micro: 22 }, package: 'Debian', capabilities: [] });
    expect(await s.execute('query-status')).toEqual({ status: 'running', running: true });
    await expect(s.execute('cont')).rejects.toThrow(/not on the read-only allowlist/);
    await expect(s.execute('query-stats', { target: 'vm' })).rejects.toThrow(QmpExecuteError); // the agent's shape passes
    await expect(s.execute('query-stats', { target: 'vm', vcpus: [] })).rejects.toThrow(/not on the read-only allowlist/); // another shape does not
    expect(sent).toEqual(['query-version', 'query-status', 'query-stats']);
  });

  it("an over-deep event and a throwing event handler are dropped and counted, not thrown into libvirt's read path", async () => {
    const { host, emit } = fakeHost({ 'query-version': '{"return":{"qemu":{"major":7,"minor":2,"micro":22}}}' });
    const drops: QmpDrop[] = [];
    const seen: string[] = [];
    await openMonitorSession(host, dom, {
      onDropped: (d) => drops.push(d),
      onEvent: (ev) => {
        if (ev.event === 'BAD') throw new RangeError('Maximum call stack size exceeded');
        seen.push(ev.event);
      },
    });
    expect(() => emit('DEEP', `{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}`)).not.toThrow();
    expect(() => emit('BAD', '{}')).not.toThrow();
    emit('STOP', null);
    expect(drops).toEqual([
      { reason: 'too-deep', what: 'event DEEP' },
      { reason: 'handler-error', what: 'event BAD', error: expect.stringMatching(/Maximum call stack/) },
    ]);
    expect(seen).toEqual(['STOP']);
  });

  it('refuses to open while libvirt is not connected', async () => {
    await expect(openMonitorSession({ client: null } as unknown as LibvirtHost, dom, {})).rejects.toThrow(/not connected/);
  });
});
