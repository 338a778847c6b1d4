/**
 * A small, strict-enough XML reader for the documents libvirtd generates (domain XML):
 * elements, attributes, text, the five predefined entities and numeric character
 * references, comments, CDATA, the XML declaration. No DTDs, no namespaces resolution
 * (prefixed names are kept as written, e.g. `qemu:commandline`). Pure; throws XmlError.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated text directly inside this element (not its children's). */
  text: string;
}

export class XmlError extends Error {
  override readonly name = 'XmlError';
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (m, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    const v = ENTITIES[e];
    if (v === undefined) throw new XmlError(`unknown entity ${m}`);
    return v;
  });
}

const NAME = /^[A-Za-z_][\w.:-]*/;
const ATTR = /^\s+([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/;

export function parseXml(xml: string): XmlElement {
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  let i = 0;
  const top = (): XmlElement => stack[stack.length - 1]!;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) {
      top().text += decodeEntities(xml.slice(i));
      break;
    }
    if (lt > i) top().text += decodeEntities(xml.slice(i, lt));
    if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt + 4);
      if (end < 0) throw new XmlError('unterminated comment');
      i = end + 3;
    } else if (xml.startsWith('<![CDATA[', lt)) {
      const end = xml.indexOf(']]>', lt + 9);
      if (end < 0) throw new XmlError('unterminated CDATA');
      top().text += xml.slice(lt + 9, end);
      i = end + 3;
    } else if (xml.startsWith('<?', lt)) {
      const end = xml.indexOf('?>', lt + 2);
      if (end < 0) throw new XmlError('unterminated processing instruction');
      i = end + 2;
    } else if (xml.startsWith('<!', lt)) {
      throw new XmlError('DTDs are not supported');
    } else if (xml[lt + 1] === '/') {
      const end = xml.indexOf('>', lt);
      if (end < 0) throw new XmlError('unterminated end tag');
      const name = xml.slice(lt + 2, end).trim();
      const open = stack.pop();
      if (!open || open === root || open.name !== name) throw new XmlError(`</${name}> does not close <${open?.name ?? ''}>`);
      i = end + 1;
    } else {
      const m = NAME.exec(xml.slice(lt + 1, lt + 201));
      if (!m) throw new XmlError(`bad tag at offset ${lt}`);
      const el: XmlElement = { name: m[0], attrs: {}, children: [], text: '' };
      let j = lt + 1 + m[0].length;
      for (;;) {
        const a = ATTR.exec(xml.slice(j, j + 65_536));
        if (!a) break;
        el.attrs[a[1]!] = decodeEntities(a[2] ?? a[3] ?? '');
        j += a[0].length;
      }
      while (/\s/.test(xml[j] ?? '')) j++;
      top().children.push(el);
      if (xml.startsWith('/>', j)) {
        i = j + 2;
      } else if (xml[j] === '>') {
        stack.push(el);
        i = j + 1;
      } else {
        throw new XmlError(`bad attribute syntax in <${el.name}> at offset ${j}`);
      }
    }
  }
  if (stack.length !== 1) throw new XmlError(`<${top().name}> is not closed`);
  const [doc, ...rest] = root.children;
  if (!doc || rest.length > 0) throw new XmlError('a document needs exactly one root element');
  return doc;
}

/** First child element named `name`. */
export const child = (el: XmlElement | undefined, name: string): XmlElement | undefined => el?.children.find((c) => c.name === name);
/** All child elements named `name`. */
export const children = (el: XmlElement | undefined, name: string): XmlElement[] => el?.children.filter((c) => c.name === name) ?? [];
