/**
 * This checkout's agent and another's (QMPIPE_BENCH_FLEET_BASELINE) running at the same
 * time, each on its own half of the domains, the halves swapped every round. Whatever else
 * the machine does then falls on both alike. Two agents measured in turn, on all domains,
 * differed by up to 30 % from round to round here (0.49 against 0.64 ms per poll); run
 * side by side, each agent's three rounds stayed within 5 %.
 */
import { AgentChild, type AgentChildOptions } from './agentChild.js';
import { delta, sleep, snapshot } from './procfs.js';

export interface AbPhase {
  /** CPU ms per VM-poll of this checkout's agent and of the baseline's, over the same window. */
  ours: number;
  baseline: number;
  vmsEach: number;
}

export async function abPhase(o: {
  ours: AgentChildOptions;
  baseline: AgentChildOptions;
  warmupMs: number;
  windowMs: number;
  onStart: (a: AgentChild) => void;
}): Promise<AbPhase> {
  const both: AgentChild[] = [];
  try {
    for (const opts of [o.ours, o.baseline]) {
      const a = await AgentChild.start(opts);
      o.onStart(a);
      both.push(a);
    }
    await Promise.all(both.map((a, i) => a.waitPolls([o.ours, o.baseline][i]!.sockets.length * 2, 60_000)));
    await sleep(o.warmupMs);
    const c0 = await Promise.all(both.map((a) => a.counters()));
    const s0 = both.map((a) => snapshot(a.pid));
    await sleep(o.windowMs);
    const s1 = both.map((a) => snapshot(a.pid));
    const c1 = await Promise.all(both.map((a) => a.counters()));
    const perPoll = (i: number): number => delta(s0[i]!, s1[i]!).statMs / (c1[i]!.polls - c0[i]!.polls);
    return { ours: perPoll(0), baseline: perPoll(1), vmsEach: o.ours.sockets.length };
  } finally {
    await Promise.all(both.map((a) => a.stop()));
  }
}
