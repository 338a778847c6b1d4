/**
 * Where `qmpipe stats` reads the latest query-stats replies from:
 * - a transcript (the shared fixture format): the last query-stats-schemas reply, the last
 *   successful query-stats reply of each target, the last query-cpus-fast reply;
 * - a live QMP session (the VM's own socket, or QEMU's monitor through libvirt): the same
 *   commands, once, through the agent's read-only allowlist.
 */
import { readFileSync } from 'node:fs';
import { QmpipeError } from '#common/errors.js';
import { isObject, obj, str } from '#agent/sample/json.js';
import type { QmpSession } from '#agent/qmp/session.js';
import { idKey, parseTranscriptLine } from '../transcript/transcript.js';

export interface StatsReplies {
  /** The VM's name, when the source says it. */
  vm: string | null;
  schemas: unknown;
  /** target → its latest query-stats reply, in the order the targets were first seen. */
  replies: Map<string, unknown>;
  cpus: unknown;
}

/** The latest replies of a transcript; `until` (epoch ms) cuts it. */
export function transcriptStats(path: string, until = Infinity): StatsReplies {
  const out: StatsReplies = { vm: null, schemas: undefined, replies: new Map(), cpus: undefined };
  const sent = new Map<string, { execute: string; target: string | undefined }>();
  for (const text of readFileSync(path, 'utf8').split('\n')) {
    const line = parseTranscriptLine(text);
    if (!line || line.t > until) continue;
    const id = idKey(line.msg);
    if (line.dir === 'out') {
      const execute = str(line.msg['execute']);
      if (id !== undefined && execute !== undefined) sent.set(id, { execute, target: str(obj(line.msg['arguments'])?.['target']) });
      continue;
    }
    if (line.dir !== 'in' || id === undefined || !('return' in line.msg)) continue;
    const cmd = sent.get(id);
    sent.delete(id);
    const value = line.msg['return'];
    if (cmd?.execute === 'query-stats-schemas') out.schemas = value;
    else if (cmd?.execute === 'query-stats' && cmd.target !== undefined) out.replies.set(cmd.target, value);
    else if (cmd?.execute === 'query-cpus-fast') out.cpus = value;
    else if (cmd?.execute === 'query-name' && isObject(value)) out.vm = str(value['name']) ?? out.vm;
  }
  if (out.schemas === undefined && out.replies.size === 0) {
    throw new QmpipeError('STATS_NONE', `no query-stats replies in ${path}${until === Infinity ? '' : ` up to ${until}`} (QEMU 7.1 or later records them)`);
  }
  return out;
}

/** The targets query-stats-schemas offers (vm and vcpu first). */
function targetsOf(schemas: unknown): string[] {
  const found = new Set<string>(['vm', 'vcpu']);
  if (Array.isArray(schemas)) for (const s of schemas) if (isObject(s) && typeof s['target'] === 'string') found.add(s['target']);
  return [...found];
}

/** One read of a live session: schemas, then every target's stats (restricted to `provider` if given), then the vCPUs. */
export async function sessionStats(session: QmpSession, targets: readonly string[] | undefined, provider: string | undefined): Promise<StatsReplies> {
  const schemas = await session.execute('query-stats-schemas', provider === undefined ? undefined : { provider });
  const replies = new Map<string, unknown>();
  for (const target of targets ?? targetsOf(schemas)) {
    const args: Record<string, unknown> = { target };
    if (provider !== undefined) args.providers = [{ provider }];
    replies.set(target, await session.execute('query-stats', args));
  }
  const cpus = await session.execute('query-cpus-fast');
  const name = await session.execute('query-name').catch(() => undefined);
  return { vm: isObject(name) ? (str(name['name']) ?? null) : null, schemas, replies, cpus };
}
