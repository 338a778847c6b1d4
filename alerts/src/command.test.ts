import { parseArgs } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { ConfigError } from '#common/errors.js';
import { captureStdio } from '#test/support/captureStdio.js';
import { flagOptions, options, run } from './command.js';
import { parseDuration, parseForwardOptions, parseTailOptions, validForMs } from './config.js';

function values(argv: string[]) {
  return parseArgs({ args: argv, options, allowPositionals: true, strict: true }).values;
}

describe('qmpipe alerts tail options', () => {
  it('defaults: from the beginning, until the end, human, qmpipe.alerts, brokers from the env', () => {
    const o = parseTailOptions(flagOptions('tail', values([])), { QMPIPE_KAFKA_BROKERS: '127.0.0.1:9092, 10.0.0.2:9092' });
    expect(o).toEqual({
      kafka: { brokers: ['127.0.0.1:9092', '10.0.0.2:9092'], clientId: 'qmpipe-alerts-tail', connectionTimeoutMs: 3000, requestTimeoutMs: 30000 },
      log: { level: 'info' },
      topic: 'qmpipe.alerts',
      mode: 'until-end',
      from: 'beginning',
      format: 'human',
    });
  });

  it('--follow --from-now --json --topic, --brokers over the env', () => {
    const o = parseTailOptions(flagOptions('tail', values(['--follow', '--from-now', '--json', '--topic', 't1', '--brokers', 'k:1'])), {
      QMPIPE_KAFKA_BROKERS: 'x:2',
    });
    expect(o).toMatchObject({ kafka: { brokers: ['k:1'] }, topic: 't1', mode: 'follow', from: 'now', format: 'json' });
  });

  it.each([
    [[], {}, /no Kafka brokers/],
    [['--brokers', 'nohost'], {}, /host:port/],
  ])('%j fails with a clear ConfigError', (argv, env, msg) => {
    expect(() => parseTailOptions(flagOptions('tail', values(argv)), env)).toThrow(ConfigError);
    expect(() => parseTailOptions(flagOptions('tail', values(argv)), env)).toThrow(msg);
  });

  it('refuses forward-only options', () => {
    expect(() => flagOptions('tail', values(['--alertmanager', 'http://a']))).toThrow(/not an option of 'alerts tail'/);
  });
});

describe('qmpipe alerts forward options', () => {
  const env = { QMPIPE_KAFKA_BROKERS: 'k:1' };

  it('defaults: resend every minute, valid for 4 minutes, 1 h horizon', () => {
    const o = parseForwardOptions(flagOptions('forward', values(['--alertmanager', 'http://127.0.0.1:9093'])), env);
    expect(o).toMatchObject({ alertmanager: 'http://127.0.0.1:9093', resendIntervalMs: 60_000, resolvedHorizonMs: 3_600_000, batchSize: 500 });
    expect(validForMs(o)).toBe(240_000);
  });

  it('durations and the generator URL', () => {
    const o = parseForwardOptions(
      flagOptions('forward', values(['--alertmanager', 'https://am', '--resend-interval', '2s', '--resolved-horizon', '30m', '--generator-url', 'http://g/d'])),
      env,
    );
    expect(o).toMatchObject({ resendIntervalMs: 2_000, resolvedHorizonMs: 1_800_000, generatorUrl: 'http://g/d' });
  });

  it.each([
    [['--resend-interval', '1m'], /--alertmanager URL is required/],
    [['--alertmanager', 'ftp://am'], /alertmanager: an http/],
    [['--alertmanager', 'http://am', '--resend-interval', 'soon'], /--resend-interval: 'soon' is not a duration/],
    [['--alertmanager', 'http://am', '--json'], /--json is not an option of 'alerts forward'/],
  ])('%j is refused', (argv, msg) => {
    expect(() => parseForwardOptions(flagOptions('forward', values(argv)), env)).toThrow(msg);
  });
});

describe('qmpipe alerts forward --check (the systemd unit is checked this way)', () => {
  const io = captureStdio();

  it('validates the flags and the environment, then exits without connecting', async () => {
    vi.stubEnv('QMPIPE_KAFKA_BROKERS', 'k:1');
    expect(await run(['forward', '--alertmanager', 'http://127.0.0.1:9093', '--check'])).toBe(0);
    expect(io.stdout).toBe('options ok\n');
    vi.unstubAllEnvs();
  });

  it('exits 2 naming the bad option', async () => {
    vi.stubEnv('QMPIPE_KAFKA_BROKERS', 'k:1');
    expect(await run(['forward', '--alertmanager', 'ftp://am', '--check'])).toBe(2);
    expect(io.stdout).toBe('');
    expect(io.stderr).toMatch(/alertmanager: an http/);
    vi.unstubAllEnvs();
  });
});

describe('parseDuration', () => {
  it.each([
    ['250', 250],
    ['250ms', 250],
    ['30s', 30_000],
    ['1.5m', 90_000],
    ['1h', 3_600_000],
  ])('%s → %d', (s, ms) => expect(parseDuration(s, 'x')).toBe(ms));
});
