// Waits until URL answers 200 (e.g. Prometheus's or Alertmanager's /-/ready), through the
// shared readiness loop (waitFor.mjs: QMPIPE_WAIT_PID fails the wait when the server exits).
//   node infra/httpReady.mjs COMPONENT URL TIMEOUT_SECONDS
// A server behind TLS or basic auth (Prometheus with --web.config.file) is checked with
// QMPIPE_READY_CA, QMPIPE_READY_CERT, QMPIPE_READY_KEY (PEM files) and QMPIPE_READY_BASIC
// (user:password), each optional.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { waitFor } from './waitFor.mjs';

const [component, url, timeoutS] = process.argv.slice(2);
const env = process.env;
const headers = env.QMPIPE_READY_BASIC ? { Authorization: `Basic ${Buffer.from(env.QMPIPE_READY_BASIC).toString('base64')}` } : {};

/** The status of GET url over https, with the CA, client certificate and basic auth given. */
function httpsStatus() {
  const pem = (name) => (env[name] ? readFileSync(env[name]) : undefined);
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, ca: pem('QMPIPE_READY_CA'), cert: pem('QMPIPE_READY_CERT'), key: pem('QMPIPE_READY_KEY'), timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('no reply in 2 s')));
    req.on('error', reject);
    req.end();
  });
}

await waitFor(component, url, timeoutS, async () => {
  const status = url.startsWith('https:') ? await httpsStatus() : (await fetch(url, { headers, signal: AbortSignal.timeout(2000) })).status;
  if (status !== 200) throw new Error(`HTTP ${status}`);
});
