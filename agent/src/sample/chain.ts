/**
 * Backing-chain walk: one `ChainElement` per image, top (depth 0) to base, with the
 * semantics of `virsh domstats --block --backing` (qemuDomainGetStatsBlockExportDisk),
 * except that `backingIndex` is the depth, not libvirt's vda[N] id.
 *
 * Wire shape walked — one query-blockstats device-mode entry (block/qapi.c
 * bdrv_query_bds_stats), recursively:
 *   { "node-name", stats:{...}, parent?: <primary child: the format node's `file`
 *     (storage) node, or a filter's filtered node>, backing?: <COW child: next image> }
 * Inside `parent`/`backing` only wr_highest_offset, node-name and driver-specific are
 * filled. QEMU 7.2 has no `children` in query-named-block-nodes, so the structure
 * comes from this nesting; the per-node facts (drv, image sizes, write_threshold)
 * come from the slow group (`NamedNode`), with query-block's image chain as fallback.
 *
 * - Format node: the qcow2/raw node of each image. Storage node: its `parent`, or,
 *   without one, the protocol node of query-named-block-nodes with the same filename.
 * - allocation: the storage node's wr_highest_offset (host high-water mark) from
 *   `parent.stats`, else its query-blockstats:nodes entry; allocationValid says
 *   whether either existed.
 * - capacity: the format node's image virtual-size.
 * - physical: host_device storage → the host's device length (blockdevSizes[path],
 *   HOST_DEVICE_SIZE; QEMU's storage virtual-size lags behind a grown device, so it
 *   is only kept as storageVirtualSize); `file` storage → the file's allocation the
 *   host measured this tick (fileAllocations[path], stat st_blocks × 512: what QEMU's
 *   actual-size reports, ACTUAL_SIZE, without waiting for the slow group); otherwise
 *   the format node's actual-size if non-zero (ACTUAL_SIZE, as libvirt), else
 *   capacity (CAPACITY).
 * - A chain element is known by its format node's name: its facts come from that
 *   node's slow-group entry, and query-block's image chain (no node names below the
 *   top) is only used when its root is this device's root now (blockDevices.ts), so a
 *   new top image never inherits the previous top's filename or sizes.
 * - writeThreshold: the storage node's write_threshold (0 = off).
 * - Filter nodes (commit_top/mirror_top during block jobs, throttle, copy-on-read, …)
 *   are not images: they are skipped and the walk continues into their child.
 * - A device without a medium (no node-name) has an empty chain.
 */
import type { ChainElement, PhysicalSource } from '#schemas/types.js';
import { long, obj, str, type JsonObject } from './json.js';
import type { ImageInfo, NamedNode } from './nodes.js';

/** Everything the walk joins a device-mode entry with (slow group, nodes mode, host). */
export interface ChainContext {
  named: ReadonlyMap<string, NamedNode>;
  /** query-blockstats:nodes: node-name → wr_highest_offset. */
  watermarks: ReadonlyMap<string, number>;
  /** The device's query-block image chain, top first (fallback for sizes). */
  images: readonly ImageInfo[];
  /** Host-observed block device lengths by path. */
  blockdevSizes: Readonly<Record<string, number>>;
  /** Host-observed image file allocations by path. */
  fileAllocations?: Readonly<Record<string, number>> | undefined;
}

export const FILTER_DRIVERS: ReadonlySet<string> = new Set([
  'commit_top',
  'mirror_top',
  'copy-before-write',
  'copy-on-read',
  'throttle',
  'preallocate',
  'compress',
  'snapshot-access',
]);

const FORMAT_DRIVERS: ReadonlySet<string> = new Set([
  'qcow2',
  'raw',
  'qed',
  'qcow',
  'vmdk',
  'vdi',
  'vhdx',
  'vpc',
  'luks',
  'parallels',
  'bochs',
  'cloop',
  'dmg',
]);

const BLOCK_DEVICE_DRIVERS: ReadonlySet<string> = new Set(['host_device', 'host_cdrom']);

/** Bounds the walk against cyclic or absurdly deep (malformed) replies. */
const MAX_STEPS = 128;

/**
 * Whether a node is a filter, not an image. With slow data, by driver. Without it,
 * by QEMU's implicit name `#blockNNN` — but legacy `-drive` also gives real images
 * such names, so a `#block` node only counts as a filter when it has no COW backing
 * and its primary child is itself a format node (has a `parent` of its own).
 */
export function isFilterNode(node: JsonObject, named: ReadonlyMap<string, NamedNode>): boolean {
  const name = str(node['node-name']) ?? '';
  const drv = named.get(name)?.drv;
  if (drv) return FILTER_DRIVERS.has(drv);
  return name.startsWith('#block') && node['backing'] === undefined && obj(obj(node['parent'])?.['parent']) !== undefined;
}

/** Walks one device-mode query-blockstats entry top → base. */
export function walkChain(top: JsonObject, ctx: ChainContext): ChainElement[] {
  const chain: ChainElement[] = [];
  let node: JsonObject | undefined = top;
  for (let steps = 0; node && steps < MAX_STEPS; steps++) {
    const name = str(node['node-name']);
    if (name === undefined) break; // no medium (empty CD-ROM) or malformed
    if (isFilterNode(node, ctx.named)) {
      node = obj(node['backing']) ?? obj(node['parent']);
      continue;
    }
    chain.push(toChainElement(node, name, chain.length, ctx));
    node = obj(node['backing']);
  }
  return chain;
}

interface StorageRef {
  name: string | null;
  drv: string | null;
  named: NamedNode | undefined;
}

function findStorage(node: JsonObject, format: NamedNode | undefined, ctx: ChainContext): StorageRef {
  const parent = obj(node['parent']);
  const name = str(parent?.['node-name']);
  if (name !== undefined) {
    const named = ctx.named.get(name);
    return { name, drv: named?.drv ?? str(obj(parent?.['driver-specific'])?.['driver']) ?? null, named };
  }
  if (!format) return { name: null, drv: null, named: undefined };
  for (const n of ctx.named.values()) {
    if (n.nodeName === format.nodeName || !n.drv || FORMAT_DRIVERS.has(n.drv) || FILTER_DRIVERS.has(n.drv)) continue;
    const sameImage = n.image.filename !== null && n.image.filename === format.image.filename;
    if (sameImage || (n.file !== null && n.file === format.file)) return { name: n.nodeName, drv: n.drv, named: n };
  }
  return { name: null, drv: null, named: undefined };
}

function allocationOf(node: JsonObject, storage: StorageRef, ctx: ChainContext): { allocation: number; allocationValid: boolean } {
  const fromParent = long(obj(obj(node['parent'])?.['stats'])?.['wr_highest_offset']);
  if (fromParent !== undefined) return { allocation: fromParent, allocationValid: true };
  const fromNodes = storage.name === null ? undefined : ctx.watermarks.get(storage.name);
  if (fromNodes !== undefined) return { allocation: fromNodes, allocationValid: true };
  return { allocation: 0, allocationValid: false };
}

interface Physical {
  physical: number | null;
  physicalSource: PhysicalSource;
}

function physicalOf(driver: string | null, path: string | null, actualSize: number | null, capacity: number | null, ctx: ChainContext): Physical {
  if (driver !== null && BLOCK_DEVICE_DRIVERS.has(driver)) {
    const size = path !== null && Object.hasOwn(ctx.blockdevSizes, path) ? long(ctx.blockdevSizes[path]) : undefined;
    return size === undefined ? { physical: null, physicalSource: 'UNKNOWN' } : { physical: size, physicalSource: 'HOST_DEVICE_SIZE' };
  }
  const files = ctx.fileAllocations;
  if (driver === 'file' && path !== null && files && Object.hasOwn(files, path)) {
    const allocated = long(files[path]);
    if (allocated) return { physical: allocated, physicalSource: 'ACTUAL_SIZE' };
  }
  if (actualSize) return { physical: actualSize, physicalSource: 'ACTUAL_SIZE' };
  if (capacity !== null && capacity > 0) return { physical: capacity, physicalSource: 'CAPACITY' };
  return { physical: null, physicalSource: 'UNKNOWN' };
}

function toChainElement(node: JsonObject, formatNode: string, depth: number, ctx: ChainContext): ChainElement {
  const format = ctx.named.get(formatNode);
  const image: ImageInfo | undefined = format?.image ?? ctx.images[depth];
  const storage = findStorage(node, format, ctx);
  const formatDriver = format?.drv ?? image?.format ?? 'unknown';
  // QEMU names an image whose backing was set at run time (blockdev-snapshot) by a
  // `json:{...}` pseudo-filename; its storage node still has the path.
  const own = image?.filename ?? format?.file ?? null;
  const filename = (own?.startsWith('json:') ? (storage.named?.image.filename ?? storage.named?.file) : own) ?? own ?? storage.named?.image.filename ?? '';
  // Unknown until the slow group has described this image (a node it has not read yet): null, never 0.
  const capacity = image?.virtualSize ?? null;
  const actualSize = image?.actualSize ?? null;
  const storagePath = storage.named?.image.filename ?? storage.named?.file ?? (filename || null);
  const physicalDriver = storage.name === null ? formatDriver : storage.drv;
  return {
    backingIndex: depth,
    formatNode,
    formatDriver,
    storageNode: storage.name,
    storageDriver: storage.drv,
    filename,
    ...allocationOf(node, storage, ctx),
    capacity,
    ...physicalOf(physicalDriver, storagePath, actualSize, capacity, ctx),
    actualSize,
    storageVirtualSize: storage.named?.image.virtualSize ?? null,
    writeThreshold: storage.named?.writeThreshold ?? 0,
  };
}
