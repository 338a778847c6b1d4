import { describe, expect, it } from 'vitest';
import { addNote, historyKey } from './demoState.js';
import { runFixture } from '#test/support/fixtureRun.js';
import { esc, layoutLabels, renderHtmlReport, type ReportInput } from './htmlReport.js';

const run = runFixture();

function input(over: Partial<ReportInput> = {}): ReportInput {
  return {
    title: 'qmpipe demo <replay>',
    generatedAt: Date.UTC(2026, 10, 22),
    startedAt: 0,
    state: addNote(run.state, 1_500, 'grew the "base" & resumed'),
    facts: [
      ['mode', 'replay'],
      ['first alert', '1.2 s'],
    ],
    bucket: 'qmpipe-demo-abc',
    objects: [{ key: 'rollups/resolution=10s/date=2026-11-22/hour=01/part-0-1795311980000.parquet', size: 4321 }],
    query: { sql: 'SELECT 1', columns: ['minute', 'max_alloc_mib'], rows: [['01:46', '165.3']] },
    ...over,
  };
}

describe('renderHtmlReport over the fixture', () => {
  const html = renderHtmlReport(input());
  const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>') + 6);

  it('is one self-contained page: no script, no external resource', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src=|url\(/i);
    expect(html.match(/https?:\/\/[^"]*/g)).toEqual(['http://www.w3.org/2000/svg']);
  });

  it('draws allocation and physical of both chain elements as paths through every history point', () => {
    expect(html.match(/<svg /g)).toHaveLength(1);
    const paths = [...svg.matchAll(/<path d="([^"]*)" stroke="([^"]+)" stroke-width="([\d.]+)"( stroke-dasharray="6 4")?/g)];
    expect(paths).toHaveLength(4); // [0] physical + allocation, [1] physical + allocation
    const points = (d: string) => d.split(/(?=[ML])/).length;
    const h0 = run.state.history[historyKey('cap-thin', 'vda', 0)]!;
    const h1 = run.state.history[historyKey('cap-thin', 'vda', 1)]!;
    expect(points(paths[1]![1]!)).toBe(h0.filter((p) => p.allocation !== null).length);
    expect(points(paths[3]![1]!)).toBe(h1.filter((p) => p.allocation !== null).length);
    expect(paths[0]![4]).toBeDefined(); // physical dashed
    expect(paths[1]![4]).toBeUndefined(); // allocation solid
  });

  it('marks every alert transition of the disk, firing and resolved, with its message as tooltip', () => {
    const marks = [...svg.matchAll(/<g class="mark"><title>([^<]*)<\/title>/g)].map((m) => m[1]);
    expect(marks).toHaveLength(run.state.transitions.length);
    expect(marks.some((m) => m!.startsWith('firing critical paused-enospc vda[0] lv0-format'))).toBe(true);
    expect(marks.some((m) => m!.startsWith('resolved critical paused-enospc'))).toBe(true);
    expect(marks.some((m) => m!.startsWith('firing critical commit-growth vda[1] lv0-format'))).toBe(true);
    expect(svg).toContain('▲ paused-enospc vda[0]');
    expect(svg).toContain('▼ paused-enospc vda[0]');
  });

  it('lists transitions, notes, objects and the query result, escaped', () => {
    expect(html).toContain('<title>qmpipe demo &lt;replay&gt;</title>');
    expect(html).toContain(`Alert transitions (${run.state.transitions.length})`);
    expect(html).toContain('grew the &quot;base&quot; &amp; resumed');
    expect(html).toContain('<td>rollups/resolution=10s/date=2026-11-22/hour=01/part-0-1795311980000.parquet</td><td>4321</td>');
    expect(html).toContain('<th>max_alloc_mib</th>');
    expect(html).toContain('<td>01:46</td><td>165.3</td>');
  });

  it('shows a failed query and an empty bucket plainly', () => {
    const h = renderHtmlReport(input({ objects: [], query: { sql: 'SELECT x', error: 'no such column <x>' } }));
    expect(h).toContain('<p>No objects.</p>');
    expect(h).toContain('<p class="err">no such column &lt;x&gt;</p>');
  });
});

describe('esc', () => {
  it('escapes the five HTML-special characters', () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('layoutLabels', () => {
  it('puts a label on the first row where it does not overlap the previous one', () => {
    expect(layoutLabels([0, 10, 55, 200], [50, 50, 50, 50], 1000).map((l) => l.row)).toEqual([0, 1, 2, 0]);
    expect(layoutLabels([0, 100], [50, 50], 1000).map((l) => l.row)).toEqual([0, 0]);
  });

  it('anchors a label at its end when it would run past the right edge', () => {
    expect(layoutLabels([100, 990], [50, 50], 1000)).toEqual([
      { row: 0, end: false },
      { row: 0, end: true },
    ]);
  });
});
