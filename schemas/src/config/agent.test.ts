import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '#common/errors.js';
import { packageRoot } from '#common/paths.js';
import { loadAgentConfig } from './agent.js';

describe('agent config', () => {
  it('the example config parses', () => {
    const raw = JSON.parse(readFileSync(join(packageRoot(), 'agent', 'agent.example.json'), 'utf8')) as unknown;
    const cfg = loadAgentConfig({ raw: raw });
    expect(cfg.vms.globs).toEqual(['/run/qmp/*.sock']);
    expect(cfg.vms.sockets[0]).toEqual({ path: '/run/qmp/db1.sock', net: ['tap-db1'] });
    expect(cfg.kafka.compression).toBe('gzip');
    expect(cfg.qmp.handshakeTimeoutMs).toBe(2000); // a default filled in
  });

  it('a minimal config gets every default', () => {
    const cfg = loadAgentConfig({ raw: { kafka: { brokers: ['k:9092'] } } });
    expect(cfg.sampling).toEqual({ fastIntervalMs: 1000, slowIntervalMs: 10000, statsTargets: 'auto', blockstatsNodes: 'on' });
    expect(cfg.qmp.reconnect).toEqual({ initialRetryTime: 300, multiplier: 2, factor: 0.2, maxRetryTime: 30000, retries: 5 });
    expect(cfg.spool.dir).toBeUndefined();
    expect(cfg.metrics.listen).toBe('127.0.0.1:9464');
    expect(cfg.kafka.rawTopic).toBe('qmpipe.raw');
  });

  it.each([
    [{ kafka: { brokers: ['k:9092'] }, surprise: 1 }, '(root)'],
    [{ kafka: { brokers: ['k:9092'], acks: 1 } }, 'kafka'],
    [{ kafka: { brokers: [] } }, 'kafka.brokers'],
    [{ kafka: { brokers: ['no-port'] } }, 'kafka.brokers.0'],
    [{ kafka: { brokers: ['k:1'] }, vms: { sockets: [{}] } }, 'vms.sockets.0'],
    [{ kafka: { brokers: ['k:1'] }, sampling: { fastIntervalMs: 5000, slowIntervalMs: 1000 } }, 'sampling'],
    [{ kafka: { brokers: ['k:1'] }, qmp: { writeThreshold: true } }, 'qmp.writeThreshold'],
  ])('%j fails at %s', (raw, path) => {
    try {
      loadAgentConfig({ raw: raw });
      throw new Error('should not parse');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).context.path).toBe(path);
    }
  });

  it.each(['qemu:///session', 'qemu+tcp://h/system'])('libvirt.uri %s is one line naming the URI it accepts', (uri) => {
    expect(() => loadAgentConfig({ raw: { kafka: { brokers: ['k:1'] }, libvirt: { uri } } })).toThrow(
      `agent config: libvirt.uri: "${uri}" is not accepted: only qemu:///system (the local system daemon, through its unix socket; no session, remote or tcp URIs)`,
    );
  });

  it('secrets and brokers come from the environment', () => {
    const cfg = loadAgentConfig({
      raw: { kafka: { brokers: ['a:1'], sasl: { mechanism: 'plain', username: 'u' } } },
      env: { QMPIPE_KAFKA_SASL_PASSWORD: 's3cret', QMPIPE_KAFKA_BROKERS: 'b:2, c:3' },
    });
    expect(cfg.kafka.sasl).toEqual({ mechanism: 'plain', username: 'u', password: 's3cret' });
    expect(cfg.kafka.brokers).toEqual(['b:2', 'c:3']);
  });
});
