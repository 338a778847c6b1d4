/**
 * How deep a QMP line nests, read from its text before `JSON.parse` (pure).
 *
 * V8's `JSON.parse` takes any depth, but `JSON.stringify` and every recursive walk of the
 * value (the event's `data` text, the stats schema hash) throw `RangeError` a few
 * thousand levels down, inside the socket's read callback. A line nested deeper than the
 * limit is therefore never parsed: the client drops it and counts it (client.ts).
 *
 * `nestsDeeper` first counts opening brackets with native searches (fewer than the
 * limit: done), and only then walks the text, skipping strings with `indexOf`.
 * `topLevel` reads what is needed to route a dropped line (its `event` name or its
 * reply `id`) without building the value.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

/**
 * Real replies nest about 10 levels, plus one per image of a backing chain in
 * query-block (the agent reads 64 images of a chain). QEMU's own JSON parser refuses
 * input deeper than 1024; the agent's recursive code is safe well past that.
 */
export const DEFAULT_MAX_JSON_DEPTH = 256;

/** Whether the JSON text nests objects and arrays more than `max` levels deep. */
export function nestsDeeper(text: string, max: number): boolean {
  return opensMoreThan(text, max) && scanDeeper(text, max);
}

/**
 * Whether the text has more than `max` opening brackets (strings included): a line
 * nested deeper must. Native searches only, ~4x cheaper than the scan; most replies
 * stop here.
 */
function opensMoreThan(text: string, max: number): boolean {
  let n = 0;
  for (let i = text.indexOf('{'); i >= 0; i = text.indexOf('{', i + 1)) if (++n > max) return true;
  for (let i = text.indexOf('['); i >= 0; i = text.indexOf('[', i + 1)) if (++n > max) return true;
  return false;
}

function scanDeeper(text: string, max: number): boolean {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = stringEnd(text, i);
    else if (c === LBRACE || c === LBRACKET) {
      if (++depth > max) return true;
    } else if (c === RBRACE || c === RBRACKET) depth--;
  }
  return false;
}

/** Index of the quote that closes the string opened at `open` (the text's end if none). */
function stringEnd(text: string, open: number): number {
  let from = open + 1;
  for (;;) {
    const q = text.indexOf('"', from);
    if (q < 0) return text.length;
    let slashes = 0;
    for (let j = q - 1; text.charCodeAt(j) === BACKSLASH; j--) slashes++;
    if (slashes % 2 === 0) return q;
    from = q + 1;
  }
}

/** A top-level member's string value, as written: `event` of an event, `id` of a reply. */
export interface TopLevel {
  event?: string;
  id?: string;
}

/** The top-level `event` and `id` string members of a JSON object text (escapes are kept as written). */
export function topLevel(text: string): TopLevel {
  const out: TopLevel = {};
  let depth = 0;
  let key: string | undefined; // the top-level key whose value comes next
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      const s = text.slice(i + 1, end);
      i = end;
      if (depth !== 1) continue;
      if (key !== undefined) {
        if (key === 'event') out.event = s;
        else if (key === 'id') out.id = s;
        key = undefined;
      } else if (nextNonSpace(text, i + 1) === COLON) key = s;
    } else if (c === LBRACE || c === LBRACKET) {
      depth++;
      if (depth === 2) key = undefined; // an object or array value: not a string member
    } else if (c === RBRACE || c === RBRACKET) depth--;
    else if (c === COMMA && depth === 1) key = undefined; // the member had a number, true, false or null
  }
  return out;
}

function nextNonSpace(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return c;
  }
  return -1;
}
