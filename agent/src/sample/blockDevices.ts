/**
 * query-blockstats (device mode) + slow group + host sizes → `BlockDevice[]`.
 *
 * Wire shape, one entry per BlockBackend (block/qapi.c qmp_query_blockstats):
 *   { device: "" | "<legacy id>", qdev?: "/machine/peripheral/vda/virtio-backend",
 *     "node-name"?: "<root node, implicit filters skipped>", stats: BlockDeviceStats,
 *     parent?: {...}, backing?: {...} }
 * joined with query-block (`io-status`, image chain) by qdev, then device, then node
 * name. Counters: see counters.ts. Chain: see chain.ts.
 */
import { emptyBlockCounters } from '#schemas/blockCounters.js';
import type { BlockDevice } from '#schemas/types.js';
import { walkChain } from './chain.js';
import { toBlockCounters } from './counters.js';
import { arr, isObject, obj, str, type JsonObject } from './json.js';
import type { BlockInfo, NamedNode } from './nodes.js';

export interface BlockContext {
  named: ReadonlyMap<string, NamedNode>;
  watermarks: ReadonlyMap<string, number>;
  blockInfo: readonly BlockInfo[];
  blockdevSizes: Readonly<Record<string, number>>;
  /** Names by qdev id from the management layer (libvirt's disk targets), preferred to the qdev id. */
  deviceNames?: Readonly<Record<string, string>> | undefined;
  fileAllocations?: Readonly<Record<string, number>> | undefined;
}

const PERIPHERAL = '/machine/peripheral/';

/**
 * The qdev id of a device: `/machine/peripheral/vda/virtio-backend` → `vda`.
 * Old QEMU reports the bare id; anonymous devices (`/machine/peripheral-anon/…`)
 * have none → null.
 */
export function qdevId(qdev: string | null): string | null {
  if (!qdev) return null;
  if (qdev.startsWith(PERIPHERAL)) return qdev.slice(PERIPHERAL.length).split('/')[0] || null;
  return qdev.startsWith('/') ? null : qdev;
}

/** A device's name: the management layer's (libvirt target) for its qdev id, else the qdev id. */
function deviceName(id: string | null, ctx: BlockContext): string | null {
  // Object.hasOwn: a qdev id is data (`constructor` is a valid one), never a key of Object.prototype.
  return id === null ? null : ctx.deviceNames && Object.hasOwn(ctx.deviceNames, id) ? ctx.deviceNames[id]! : id;
}

/** The query-block entry of a device: by qdev, else device name, else root node name. */
export function matchBlockInfo(infos: readonly BlockInfo[], device: string, qdev: string | null, nodeName: string | null): BlockInfo | undefined {
  return (
    (qdev ? infos.find((i) => i.qdev === qdev) : undefined) ??
    (device ? infos.find((i) => i.device === device) : undefined) ??
    (nodeName ? infos.find((i) => i.nodeName === nodeName) : undefined)
  );
}

function toBlockDevice(entry: JsonObject, ctx: BlockContext): { device: BlockDevice; malformed: boolean } {
  const device = str(entry['device']) ?? '';
  const qdev = str(entry['qdev']) ?? null;
  const nodeName = str(entry['node-name']) ?? null;
  const info = matchBlockInfo(ctx.blockInfo, device, qdev, nodeName);
  const stats = obj(entry['stats']);
  const { counters, extra } = stats ? toBlockCounters(stats) : { counters: emptyBlockCounters(), extra: {} };
  // query-block's images have no node names: only trusted while its root is this device's root (chain.ts).
  const images = info && info.nodeName === nodeName ? info.images : [];
  const chain = walkChain(entry, {
    named: ctx.named,
    watermarks: ctx.watermarks,
    images,
    blockdevSizes: ctx.blockdevSizes,
    fileAllocations: ctx.fileAllocations,
  });
  return {
    device: { dev: deviceName(qdevId(qdev), ctx) ?? nodeName ?? device, device, qdev, nodeName, ioStatus: info?.ioStatus ?? null, counters, extra, chain },
    malformed: stats === undefined,
  };
}

/**
 * Maps a device-mode query-blockstats reply. `malformed` is true when the reply is
 * not an array or an entry lacks `stats` (those entries keep zero counters).
 */
export function toBlockDevices(reply: unknown, ctx: BlockContext): { devices: BlockDevice[]; malformed: boolean } {
  const all = arr(reply);
  if (!all) return { devices: [], malformed: true };
  const entries = all.filter(isObject);
  const mapped = entries.map((e) => toBlockDevice(e, ctx));
  const malformed = mapped.some((m) => m.malformed) || entries.length !== all.length;
  return { devices: mapped.map((m) => m.device), malformed };
}
