import { describe, expect, it } from 'vitest';
import { QmpExecuteError, QmpProtocolError } from '../qmp/errors.js';
import { parseMonitorReply, toEventMessage } from './monitorSession.js';

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
      toEventMessage({ callbackId: 1, domain: dom, event: 'BLOCK_IO_ERROR', seconds: 1n, micros: 2, details: '{"device":"","nospace":true}' }).data,
    ).toEqual({
      device: '',
      nospace: true,
    });
    expect(toEventMessage({ callbackId: 1, domain: dom, event: 'X', seconds: 1n, micros: 2, details: '{broken' }).data).toEqual({});
  });
});
