/**
 * The names the agent needs from a live domain's XML (virDomainGetXMLDesc), so libvirt's
 * view can be joined with QEMU's (query-blockstats, query-named-block-nodes) and with the
 * bulk stats fields (`block.N.name` = target dev, `net.N.name` = tap name):
 *   disk      target dev (vda), alias (virtio-disk0), source path, backing chain with the
 *             `index` libvirt gives each image;
 *   node names  libvirt (>= 5.10 with -blockdev) names image N's nodes `libvirt-N-format`
 *             and `libvirt-N-storage`; the public XML omits them, the status XML
 *             (/run/libvirt/qemu/NAME.xml) lists them under <privateData><nodenames>: those
 *             are used when present, otherwise the names are derived from `index`;
 *   qdev      QEMU reports a virtio-blk disk's `qdev` in query-blockstats as
 *             /machine/peripheral/<alias>/virtio-backend, other disks by their id (the alias);
 *             the status XML has it as <privateData><qom name=.../>, used when present;
 *   interface target dev (vnet3), alias (net0), MAC, model.
 */
import { child, children, parseXml, XmlError, type XmlElement } from './xmlTree.js';

export interface ImageInfo {
  /** libvirt's `index` of this image (source or backingStore), or null if not given. */
  index: number | null;
  /** file | block | network | volume | ... */
  type: string | null;
  /** qcow2, raw, ... (driver type for the top image, <format> for backing images). */
  format: string | null;
  /** file path, device path, or network name. */
  source: string | null;
  formatNodeName: string | null;
  storageNodeName: string | null;
}

export interface DiskInfo {
  target: string;
  bus: string | null;
  device: string;
  alias: string | null;
  /** What query-blockstats reports as `qdev` for this disk (see the module comment). */
  qdev: string | null;
  errorPolicy: string | null;
  /** The top image first, then its backing chain in order. */
  chain: ImageInfo[];
}

export interface InterfaceInfo {
  type: string;
  target: string | null;
  alias: string | null;
  mac: string | null;
  model: string | null;
}

export interface DomainXmlInfo {
  name: string;
  uuid: string;
  /** kvm or qemu (TCG). */
  type: string;
  /** `id` attribute: the running domain's id, null when inactive. */
  id: number | null;
  disks: DiskInfo[];
  interfaces: InterfaceInfo[];
}

const intOrNull = (s: string | undefined): number | null => (s !== undefined && /^\d+$/.test(s) ? Number(s) : null);

function image(el: XmlElement, type: string | null, format: string | null): ImageInfo {
  const src = child(el, 'source');
  const index = intOrNull(src?.attrs.index ?? el.attrs.index);
  const named = new Map(children(child(child(src, 'privateData'), 'nodenames'), 'nodename').map((n) => [n.attrs.type, n.attrs.name ?? null]));
  return {
    index,
    type,
    format,
    source: src?.attrs.file ?? src?.attrs.dev ?? src?.attrs.name ?? src?.attrs.volume ?? null,
    formatNodeName: named.get('format') ?? (index === null ? null : `libvirt-${index}-format`),
    storageNodeName: named.get('storage') ?? (index === null ? null : `libvirt-${index}-storage`),
  };
}

function backingChain(first: XmlElement | undefined): ImageInfo[] {
  const out: ImageInfo[] = [];
  // An empty <backingStore/> ends the chain; the depth bound guards against a malformed document.
  for (let bs = first; bs && child(bs, 'source') && out.length < 1000; bs = child(bs, 'backingStore')) {
    out.push(image(bs, bs.attrs.type ?? null, child(bs, 'format')?.attrs.type ?? null));
  }
  return out;
}

function disk(el: XmlElement): DiskInfo | null {
  const target = child(el, 'target');
  if (!target?.attrs.dev) return null;
  const driver = child(el, 'driver');
  const alias = child(el, 'alias')?.attrs.name ?? null;
  const bus = target.attrs.bus ?? null;
  const top = image(el, el.attrs.type ?? null, driver?.attrs.type ?? null);
  return {
    target: target.attrs.dev,
    bus,
    device: el.attrs.device ?? 'disk',
    alias,
    qdev:
      child(child(el, 'privateData'), 'qom')?.attrs.name ?? (alias === null ? null : bus === 'virtio' ? `/machine/peripheral/${alias}/virtio-backend` : alias),
    errorPolicy: driver?.attrs.error_policy ?? null,
    chain: [top, ...backingChain(child(el, 'backingStore'))],
  };
}

function iface(el: XmlElement): InterfaceInfo {
  return {
    type: el.attrs.type ?? 'unknown',
    target: child(el, 'target')?.attrs.dev ?? null,
    alias: child(el, 'alias')?.attrs.name ?? null,
    mac: child(el, 'mac')?.attrs.address ?? null,
    model: child(el, 'model')?.attrs.type ?? null,
  };
}

/** Parses `<domain>` XML (public or status form); throws XmlError on malformed XML. */
export function parseDomainXml(xml: string): DomainXmlInfo {
  const root = parseXml(xml);
  const dom = root.name === 'domstatus' ? child(root, 'domain') : root;
  if (dom?.name !== 'domain') throw new XmlError(`not a domain document: <${root.name}>`);
  const devices = child(dom, 'devices');
  return {
    name: child(dom, 'name')?.text.trim() ?? '',
    uuid: child(dom, 'uuid')?.text.trim() ?? '',
    type: dom.attrs.type ?? '',
    id: intOrNull(dom.attrs.id),
    disks: children(devices, 'disk').flatMap((d) => disk(d) ?? []),
    interfaces: children(devices, 'interface').map(iface),
  };
}
