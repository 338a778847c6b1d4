/**
 * Child process for memory tests (run with vite-node): starts the agent on the config in
 * QMPIPE_TEST_CONFIG (raw JSON), samples its RSS every 10 ms for QMPIPE_TEST_MS, stops it, and prints
 * one JSON line: the peak RSS and the agent's counters by VM.
 */
import { loadAgentConfig } from '#schemas/config/agent.js';
import { startAgent } from '#agent/main.js';

const cfg = loadAgentConfig({ raw: JSON.parse(process.env.QMPIPE_TEST_CONFIG!) as unknown });
const durationMs = Number(process.env.QMPIPE_TEST_MS);
const vms = (cfg.vms.sockets as Array<{ path?: string }>).map((s) => s.path!.replace(/^.*\/|\.sock$/g, ''));
const agent = await startAgent(cfg);
const baseRss = process.memoryUsage().rss;
let peakRss = baseRss;
const timer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 10);
await new Promise((r) => setTimeout(r, durationMs));
clearInterval(timer);
const t = agent.telemetry;
const byVm = Object.fromEntries(
  vms.map((vm) => [
    vm,
    { polls: t.polls.value({ vm }), lineLimit: t.lineLimit.value({ vm }), disconnected: t.pollErrors.value({ vm, class: 'disconnected' }) },
  ]),
);
await agent.stop();
process.stdout.write(`${JSON.stringify({ baseRss, peakRss, byVm })}\n`);
process.exit(0);
