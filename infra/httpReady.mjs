// Waits until URL answers 200 (e.g. Prometheus's or Alertmanager's /-/ready), through the
// shared readiness loop (waitFor.mjs: QMPIPE_WAIT_PID fails the wait when the server exits).
//   node infra/httpReady.mjs COMPONENT URL TIMEOUT_SECONDS
import { waitFor } from './waitFor.mjs';

const [component, url, timeoutS] = process.argv.slice(2);
await waitFor(component, url, timeoutS, async () => {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
});
