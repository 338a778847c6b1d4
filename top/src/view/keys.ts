/**
 * The live screen's interaction state and its keys, as a pure function
 * `onKey(ui, key, visible) → ui` (the shell feeds node:readline keypress events):
 *
 *   ↑/↓ (k/j)      select a VM (list) or scroll (drill-down)
 *   Enter          drill into the selected VM
 *   Esc, ←, b      back to the list (Esc while typing a filter: cancel it)
 *   s / r          next sort column / reverse the order
 *   /              type a filter (host, VM name, state or alert type contains it), Enter applies
 *   q, Ctrl-C      quit
 */

export const SORT_KEYS = ['fill', 'write', 'read', 'iops', 'exits', 'alerts', 'vm', 'host'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface Ui {
  sort: SortKey;
  /** Reverse the sort's natural order (biggest first for numbers, A→Z for names). */
  reversed: boolean;
  filter: string;
  /** The filter being typed; null when not typing. */
  editing: string | null;
  /** uuid of the selected VM (kept across re-sorting); null: the first. */
  selected: string | null;
  /** uuid of the VM drilled into; null: the list. */
  drill: string | null;
  /** First line shown in the drill-down. */
  scroll: number;
  quit: boolean;
}

/** What node:readline's keypress event gives (the fields used). */
export interface Key {
  name?: string | undefined;
  sequence?: string | undefined;
  ctrl?: boolean | undefined;
}

export function initialUi(sort: SortKey = 'fill'): Ui {
  return { sort, reversed: false, filter: '', editing: null, selected: null, drill: null, scroll: 0, quit: false };
}

function move(ui: Ui, visible: readonly string[], by: number): Ui {
  if (visible.length === 0) return ui;
  const at = ui.selected === null ? 0 : Math.max(0, visible.indexOf(ui.selected));
  const next = Math.max(0, Math.min(visible.length - 1, at + by));
  return { ...ui, selected: visible[next]! };
}

function typing(ui: Ui, editing: string, key: Key): Ui {
  if (key.name === 'return' || key.name === 'enter') return { ...ui, filter: editing, editing: null, selected: null };
  if (key.name === 'escape') return { ...ui, editing: null };
  if (key.name === 'backspace') return { ...ui, editing: editing.slice(0, -1) };
  const ch = key.sequence ?? '';
  if (ch.length === 1 && ch >= ' ' && ch !== '\x7f') return { ...ui, editing: editing + ch };
  return ui;
}

/** `visible`: uuids of the list's rows in the order shown (to move the selection). */
export function onKey(ui: Ui, key: Key, visible: readonly string[]): Ui {
  if (key.ctrl && key.name === 'c') return { ...ui, quit: true };
  if (ui.editing !== null) return typing(ui, ui.editing, key);
  const name = key.name ?? key.sequence;
  if (name === 'q') return { ...ui, quit: true };
  if (ui.drill !== null) {
    if (name === 'escape' || name === 'left' || name === 'b' || name === 'backspace') return { ...ui, drill: null, scroll: 0 };
    if (name === 'up' || name === 'k') return { ...ui, scroll: Math.max(0, ui.scroll - 1) };
    if (name === 'down' || name === 'j') return { ...ui, scroll: ui.scroll + 1 };
    if (name === 'pageup') return { ...ui, scroll: Math.max(0, ui.scroll - 10) };
    if (name === 'pagedown') return { ...ui, scroll: ui.scroll + 10 };
    return ui;
  }
  switch (name) {
    case 'up':
    case 'k':
      return move(ui, visible, -1);
    case 'down':
    case 'j':
      return move(ui, visible, 1);
    case 'return':
    case 'enter': {
      const uuid = ui.selected !== null && visible.includes(ui.selected) ? ui.selected : (visible[0] ?? null);
      return uuid === null ? ui : { ...ui, selected: uuid, drill: uuid, scroll: 0 };
    }
    case 's':
      return { ...ui, sort: SORT_KEYS[(SORT_KEYS.indexOf(ui.sort) + 1) % SORT_KEYS.length]!, reversed: false };
    case 'r':
      return { ...ui, reversed: !ui.reversed };
    case '/':
      return { ...ui, editing: ui.filter };
    case 'escape':
      return ui.filter ? { ...ui, filter: '' } : ui;
    default:
      return ui;
  }
}
