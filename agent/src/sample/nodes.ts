/**
 * Parsed views of the node-level replies the chain walk joins against.
 *
 * query-named-block-nodes {flat:true} → [BlockDeviceInfo]:
 *   { "node-name", drv, file, ro, backing_file_depth, write_threshold,
 *     image: { filename, format, "virtual-size", "actual-size"?, "cluster-size"?,
 *              "backing-filename"?, ... }, children?: [{child,"node-name"}] (10.1) }
 *
 * query-block → [BlockInfo]:
 *   { device, qdev?, "io-status"?: ok|failed|nospace, removable, locked,
 *     inserted?: BlockDeviceInfo with image["backing-image"] recursive }
 *
 * query-blockstats {query-nodes:true} → [{ "node-name", stats:{wr_highest_offset,...},
 *   parent?: {...same...}, "driver-specific"?: {driver,...} }]   (counters are all 0 here)
 *
 * Parsers skip entries of the wrong shape; `undefined` means the reply itself was
 * not an array (malformed).
 */
import { long, obj, objects, str, type JsonObject } from './json.js';

export interface ImageInfo {
  filename: string | null;
  format: string | null;
  virtualSize: number | null;
  actualSize: number | null;
}

export interface NamedNode {
  nodeName: string;
  drv: string | null;
  file: string | null;
  writeThreshold: number;
  image: ImageInfo;
}

export interface BlockInfo {
  device: string;
  qdev: string | null;
  ioStatus: string | null;
  /** inserted["node-name"]: the BlockBackend's root node. */
  nodeName: string | null;
  /** inserted.image then its backing-image chain, top first. */
  images: ImageInfo[];
}

export function toImageInfo(image: JsonObject | undefined): ImageInfo {
  return {
    filename: str(image?.['filename']) ?? null,
    format: str(image?.['format']) ?? null,
    virtualSize: long(image?.['virtual-size']) ?? null,
    actualSize: long(image?.['actual-size']) ?? null,
  };
}

/** query-named-block-nodes → node-name → NamedNode. */
export function parseNamedNodes(reply: unknown): Map<string, NamedNode> | undefined {
  const entries = objects(reply);
  if (!entries) return undefined;
  const out = new Map<string, NamedNode>();
  for (const e of entries) {
    const nodeName = str(e['node-name']);
    if (nodeName === undefined) continue;
    out.set(nodeName, {
      nodeName,
      drv: str(e['drv']) ?? null,
      file: str(e['file']) ?? null,
      writeThreshold: long(e['write_threshold']) ?? 0,
      image: toImageInfo(obj(e['image'])),
    });
  }
  return out;
}

function imageChain(image: JsonObject | undefined): ImageInfo[] {
  const out: ImageInfo[] = [];
  for (let i = image; i && out.length < 64; i = obj(i['backing-image'])) out.push(toImageInfo(i));
  return out;
}

/** query-block → BlockInfo[] (CD-ROMs without media have no inserted, so no images). */
export function parseBlockInfo(reply: unknown): BlockInfo[] | undefined {
  const entries = objects(reply);
  if (!entries) return undefined;
  return entries.map((e) => {
    const inserted = obj(e['inserted']);
    return {
      device: str(e['device']) ?? '',
      qdev: str(e['qdev']) ?? null,
      ioStatus: str(e['io-status']) ?? null,
      nodeName: str(inserted?.['node-name']) ?? null,
      images: imageChain(obj(inserted?.['image'])),
    };
  });
}

/** query-blockstats {query-nodes:true} → node-name → the node's own wr_highest_offset. */
export function parseNodeWatermarks(reply: unknown): Map<string, number> | undefined {
  const entries = objects(reply);
  if (!entries) return undefined;
  const out = new Map<string, number>();
  for (const e of entries) {
    const nodeName = str(e['node-name']);
    const offset = long(obj(e['stats'])?.['wr_highest_offset']);
    if (nodeName !== undefined && offset !== undefined) out.set(nodeName, offset);
  }
  return out;
}
