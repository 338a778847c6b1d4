import { describe, expect, it } from 'vitest';
import { parseDomainXml } from './domainXml.js';
import { decodeMessage } from './message.js';
import { domainGetXmlDesc } from './remoteCalls.js';
import { framesOf, loadTranscript } from '#test/support/libvirt/transcript.js';
import { parseXml, XmlError } from './xmlTree.js';

const t = loadTranscript();
const liveXml = domainGetXmlDesc.decode(decodeMessage(framesOf(t, 'get-xml-desc', 'in')[0]!.subarray(4)).payload);

// A libvirt-shaped disk with a two-image backing chain (as `virsh dumpxml` prints one after
// a snapshot), and the status-XML private data libvirt keeps under /run/libvirt/qemu.
const chainXml = `<?xml version="1.0"?>
<domstatus state='running' reason='booted' pid='4242'>
  <domain type='kvm' id='7'>
    <name>vm&amp;1</name>
    <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>
    <!-- a comment -->
    <description><![CDATA[<not a tag>]]></description>
    <devices>
      <disk type='file' device='disk'>
        <driver name='qemu' type='qcow2' error_policy='enospace'/>
        <source file='/var/lib/libvirt/images/top.qcow2' index='3'>
          <privateData><nodenames>
            <nodename type='storage' name='libvirt-3-storage'/>
            <nodename type='format' name='libvirt-3-format'/>
          </nodenames></privateData>
        </source>
        <backingStore type='file' index='2'>
          <format type='qcow2'/>
          <source file='/var/lib/libvirt/images/mid.qcow2'/>
          <backingStore type='block' index='1'>
            <format type='raw'/>
            <source dev='/dev/vg0/base'/>
            <backingStore/>
          </backingStore>
        </backingStore>
        <target dev='vdb' bus='virtio'/>
        <alias name='virtio-disk1'/>
        <privateData><qom name='/machine/peripheral/virtio-disk1/virtio-backend'/></privateData>
      </disk>
      <disk type='file' device='cdrom'>
        <target dev='sda' bus='sata'/>
        <readonly/>
        <alias name='sata0-0-0'/>
      </disk>
      <interface type='bridge'>
        <mac address='52:54:00:aa:bb:cc'/>
        <target dev='vnet3'/>
        <model type='virtio'/>
        <alias name='net0'/>
      </interface>
    </devices>
  </domain>
</domstatus>`;

describe('parseDomainXml', () => {
  it('reads the live XML libvirtd sent for the test domain', () => {
    const d = parseDomainXml(liveXml);
    expect(d).toMatchObject({ name: t.domain, type: 'qemu' });
    expect(d.id).toBeGreaterThan(0);
    expect(d.disks).toEqual([
      {
        target: 'vda',
        bus: 'virtio',
        device: 'disk',
        alias: 'virtio-disk0',
        qdev: '/machine/peripheral/virtio-disk0/virtio-backend',
        errorPolicy: 'enospace',
        chain: [
          {
            index: 1,
            type: 'block',
            format: 'qcow2',
            source: expect.stringMatching(/^\/dev\/loop\d+$/),
            formatNodeName: 'libvirt-1-format',
            storageNodeName: 'libvirt-1-storage',
          },
        ],
      },
    ]);
    expect(d.interfaces).toEqual([
      { type: 'ethernet', target: expect.stringMatching(/^vnet\d+$/), alias: 'net0', mac: expect.stringMatching(/^52:54:00:/), model: 'virtio' },
    ]);
  });

  it('follows a backing chain, prefers recorded node names and qom paths, keeps non-virtio ids', () => {
    const d = parseDomainXml(chainXml);
    expect(d).toMatchObject({ name: 'vm&1', type: 'kvm', id: 7 });
    const [vdb, sda] = d.disks;
    expect(vdb!.qdev).toBe('/machine/peripheral/virtio-disk1/virtio-backend');
    expect(vdb!.chain.map((i) => [i.index, i.type, i.format, i.source, i.formatNodeName])).toEqual([
      [3, 'file', 'qcow2', '/var/lib/libvirt/images/top.qcow2', 'libvirt-3-format'],
      [2, 'file', 'qcow2', '/var/lib/libvirt/images/mid.qcow2', 'libvirt-2-format'],
      [1, 'block', 'raw', '/dev/vg0/base', 'libvirt-1-format'],
    ]);
    expect(sda).toMatchObject({ target: 'sda', device: 'cdrom', qdev: 'sata0-0-0', chain: [{ source: null, index: null, formatNodeName: null }] });
    expect(d.interfaces[0]).toEqual({ type: 'bridge', target: 'vnet3', alias: 'net0', mac: '52:54:00:aa:bb:cc', model: 'virtio' });
  });

  it('throws XmlError on malformed or foreign documents', () => {
    expect(() => parseDomainXml('<domain><name>x</domain>')).toThrow(XmlError);
    expect(() => parseDomainXml('<network/>')).toThrow(XmlError);
    expect(() => parseXml('<a x=1/>')).toThrow(XmlError);
    expect(() => parseXml('<a>&bogus;</a>')).toThrow(XmlError);
    expect(() => parseXml('<!DOCTYPE a><a/>')).toThrow(XmlError);
    expect(() => parseXml('<a/><b/>')).toThrow(XmlError);
    expect(parseXml(`<a t='&#65;&#x42;&lt;'>x &gt; y</a>`)).toMatchObject({ attrs: { t: 'AB<' }, text: 'x > y' });
  });
});
