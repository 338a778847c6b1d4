/**
 * Independent reading of a raw transcript for the processor's fixture tests: the
 * replies of one command, paired with their request by id, straight from the JSON
 * (no agent code), so the tests check the pipeline against the source data.
 */
import { readFileSync } from 'node:fs';

export interface Reply {
  t: number;
  args: Record<string, unknown> | undefined;
  ret: unknown;
}
export interface EventLine {
  t: number;
  event: string;
  data: Record<string, unknown>;
  us: number;
}

interface Line {
  t: number;
  dir: string;
  msg: Record<string, unknown>;
}

function lines(path: string): Line[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Line);
}

export function replies(path: string, command: string): Reply[] {
  const sent = new Map<unknown, Record<string, unknown>>();
  const out: Reply[] = [];
  for (const l of lines(path)) {
    if (l.dir === 'out') sent.set(l.msg.id, l.msg);
    else if (l.dir === 'in' && 'return' in l.msg) {
      const req = sent.get(l.msg.id);
      if (req?.execute === command) out.push({ t: l.t, args: req.arguments as Record<string, unknown> | undefined, ret: l.msg.return });
    }
  }
  return out;
}

export function events(path: string, name?: string): EventLine[] {
  return lines(path)
    .filter((l) => l.dir === 'in' && typeof l.msg.event === 'string' && (name === undefined || l.msg.event === name))
    .map((l) => {
      const ts = l.msg.timestamp as { seconds: number; microseconds: number };
      return { t: l.t, event: l.msg.event as string, data: (l.msg.data ?? {}) as Record<string, unknown>, us: ts.seconds * 1e6 + ts.microseconds };
    });
}
