import { describe, expect, it } from 'vitest';
import { HEALTHY, unhealthy, type Health } from './health.js';
import { Registry, serveMetrics } from './metrics.js';

describe('Registry', () => {
  it('renders counters, gauges and histograms in Prometheus text format', () => {
    const r = new Registry();
    const c = r.counter('agent_polls_total', 'Fast ticks completed.');
    const g = r.gauge('agent_spool_records', 'Records waiting.');
    const h = r.histogram('agent_qmp_latency_seconds', 'QMP round trip.', [0.001, 0.01]);
    c.inc({ vm: 'a' });
    c.inc({ vm: 'a' }, 2);
    c.inc({ vm: 'b"x' });
    g.set({}, 7);
    h.observe({ command: 'query-status' }, 0.0005);
    h.observe({ command: 'query-status' }, 0.005);
    h.observe({ command: 'query-status' }, 3);
    expect(r.render()).toBe(
      [
        '# HELP agent_polls_total Fast ticks completed.',
        '# TYPE agent_polls_total counter',
        'agent_polls_total{vm="a"} 3',
        'agent_polls_total{vm="b\\"x"} 1',
        '# HELP agent_spool_records Records waiting.',
        '# TYPE agent_spool_records gauge',
        'agent_spool_records 7',
        '# HELP agent_qmp_latency_seconds QMP round trip.',
        '# TYPE agent_qmp_latency_seconds histogram',
        'agent_qmp_latency_seconds_bucket{command="query-status",le="0.001"} 1',
        'agent_qmp_latency_seconds_bucket{command="query-status",le="0.01"} 2',
        'agent_qmp_latency_seconds_bucket{command="query-status",le="+Inf"} 3',
        'agent_qmp_latency_seconds_sum{command="query-status"} 3.0055',
        'agent_qmp_latency_seconds_count{command="query-status"} 3',
        '',
      ].join('\n'),
    );
  });

  it('bound children update the same series', () => {
    const r = new Registry();
    const c = r.counter('c_total', 'c');
    const h = r.histogram('h_seconds', 'h', [1]);
    const inc = c.child({ vm: 'a' });
    const obs = h.child({ command: 'x' });
    inc();
    inc(2);
    c.inc({ vm: 'a' });
    obs(0.5);
    h.observe({ command: 'x' }, 2);
    expect(c.value({ vm: 'a' })).toBe(4);
    expect(h.count({ command: 'x' })).toBe(2);
    expect(() => inc(-1)).toThrow(RangeError);
  });

  it('refuses a decreasing counter and a duplicate name', () => {
    const r = new Registry();
    const c = r.counter('x_total', 'x');
    expect(() => c.inc({}, -1)).toThrow(RangeError);
    expect(() => r.gauge('x_total', 'again')).toThrow();
  });

  it('serves /metrics over HTTP', async () => {
    const r = new Registry();
    r.counter('up_total', 'u').inc();
    const srv = await serveMetrics(r, '127.0.0.1', 0);
    try {
      const res = await fetch(`http://127.0.0.1:${srv.port}/metrics`);
      expect(res.headers.get('content-type')).toContain('text/plain');
      expect(await res.text()).toContain('up_total 1');
      expect((await fetch(`http://127.0.0.1:${srv.port}/nope`)).status).toBe(404);
    } finally {
      await srv.close();
    }
  });

  it('/healthz: 200 ok while healthy, 503 with the reason while not', async () => {
    let health: Health = HEALTHY;
    const srv = await serveMetrics(undefined, '127.0.0.1', 0, () => health);
    try {
      const get = async () => {
        const res = await fetch(`http://127.0.0.1:${srv.port}/healthz`);
        return { status: res.status, body: await res.text() };
      };
      expect(await get()).toEqual({ status: 200, body: 'ok\n' });
      health = unhealthy('Kafka: not connected: Connection error');
      expect(await get()).toEqual({ status: 503, body: 'unhealthy: Kafka: not connected: Connection error\n' });
      expect((await fetch(`http://127.0.0.1:${srv.port}/metrics`)).status).toBe(404); // no registry: /healthz only
    } finally {
      await srv.close();
    }
  });
});
