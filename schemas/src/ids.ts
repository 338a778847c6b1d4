/**
 * The ids a raw record carries, validated where they enter the processor (the
 * partition's decode, processor/src/partition/partitionStep.ts) and the agent
 * (query-uuid, agent/src/sample/identity.ts).
 *
 * - A VM uuid is a uuid in its canonical text form (query-uuid, libvirt's domain uuid),
 *   or `name:<VM name>` (the agent's fallback when QEMU has no -uuid).
 * - Every other name (host, VM name, node names, job ids, device names, QOM paths,
 *   providers, targets, tap names) may hold any characters: names are data, and the
 *   processor keeps them in tables without a prototype (common/src/names.ts). Only their
 *   length is bounded, MAX_NAME_LENGTH (QEMU's own ids are far shorter; qdev paths are
 *   the longest), and file names MAX_FILENAME_LENGTH (PATH_MAX).
 *
 * A record that breaks a rule is not processed: it is a dead letter (INVALID_ID).
 */
import type { RawRecord, Sample } from './types.js';

export const MAX_NAME_LENGTH = 1024;
export const MAX_FILENAME_LENGTH = 4096;

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const NAME_PREFIX = 'name:';

/** Whether `s` is a uuid in its canonical text form (8-4-4-4-12 hex digits). */
export function isUuid(s: string): boolean {
  return UUID.test(s);
}

/** Why `uuid` is not a VM uuid (a uuid, or `name:` and a VM name), or null when it is one. */
export function vmUuidProblem(uuid: string): string | null {
  if (isUuid(uuid)) return null;
  if (uuid.startsWith(NAME_PREFIX) && uuid.length > NAME_PREFIX.length && uuid.length <= NAME_PREFIX.length + MAX_NAME_LENGTH) return null;
  return `VM uuid ${JSON.stringify(uuid.slice(0, 64))}${uuid.length > 64 ? '…' : ''} is neither a uuid nor name:<VM name>`;
}

function tooLong(what: string, s: string | null, max = MAX_NAME_LENGTH): string | null {
  return s !== null && s.length > max ? `${what} of ${s.length} characters, more than ${max}` : null;
}

function sampleProblem(s: Sample): string | null {
  for (const d of s.blockDevices) {
    const p = tooLong('device name', d.dev) ?? tooLong('device', d.device) ?? tooLong('qdev', d.qdev) ?? tooLong('node name', d.nodeName);
    if (p) return p;
    for (const e of d.chain) {
      const q = tooLong('node name', e.formatNode) ?? tooLong('node name', e.storageNode) ?? tooLong('file name', e.filename, MAX_FILENAME_LENGTH);
      if (q) return q;
    }
  }
  for (const j of s.jobs) {
    const p = tooLong('job id', j.id);
    if (p) return p;
  }
  for (const n of s.net) {
    const p = tooLong('interface name', n.name);
    if (p) return p;
  }
  for (const r of s.stats?.results ?? []) {
    const p = tooLong('QOM path', r.qomPath) ?? tooLong('stats provider', r.provider) ?? tooLong('stats target', r.target);
    if (p) return p;
  }
  return null;
}

/** Why the record's ids break the rules above, or null when they keep them. */
export function recordIdProblem(rec: RawRecord): string | null {
  const vm = rec.vm;
  const p = vmUuidProblem(vm.uuid) ?? tooLong('host name', vm.host) ?? tooLong('VM name', vm.name) ?? tooLong('instance id', vm.instanceId);
  if (p) return p;
  return rec.body.kind === 'Sample' ? sampleProblem(rec.body.value) : null;
}
