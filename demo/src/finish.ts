/**
 * The closing steps of a demo run that was not interrupted: the alerts seen, the
 * Parquet objects on S3 (and any rollup window published that never got there), the
 * DuckDB query over them, the HTML report, and the time from the command to the first
 * alert. Everything goes to stdout.
 */
import { writeFileSync } from 'node:fs';
import { describeError } from '#common/errors.js';
import { join } from 'node:path';
import { createS3Client } from '#processor/sinks/s3Store.js';
import { alertTypesSeen } from './report/demoState.js';
import { duration, textTable } from '#top/view/format.js';
import { renderHtmlReport } from './report/htmlReport.js';
import { renderAlertLine } from './report/liveView.js';
import type { DemoContext } from './context.js';
import type { RunOutcome } from './live.js';
import { download, listObjects, queryRollups } from './results.js';
import { ROLLUP_PREFIX } from './options.js';
import { checkRollupsStored, type RollupsCheck } from './rollupsCheck.js';

export interface Finished {
  text: string;
  /** Rollup windows published to the rollups topic and never stored in S3: the demo fails. */
  missingRollups: number;
}

function section(title: string): string {
  return `\n== ${title} ==\n`;
}

function firstAlertFacts(ctx: DemoContext, o: RunOutcome): Array<[string, string]> {
  const f = o.viewer.firstAlert;
  if (!f) return [['first alert', 'none']];
  const what = `${f.mark.type} (${f.mark.severity}) on ${f.mark.vm} ${f.mark.target}`;
  const rows: Array<[string, string]> = [
    ['first alert', what],
    ['time to first alert', `${duration((f.at - ctx.commandAt) / 1000)} after the command started`],
  ];
  if (ctx.commandAt !== ctx.startedAt)
    rows.push(['', `${duration((f.at - ctx.startedAt) / 1000)} after \`qmpipe demo\` started (the rest: installs, stack, build)`]);
  return rows;
}

function rollupsLines(ctx: DemoContext, check: RollupsCheck | { error: string }): string {
  if ('error' in check) return `could not read ${ctx.names.rollups}: ${check.error}\n`;
  const stored = `${check.published} rollup windows published to ${ctx.names.rollups}, ${check.published - check.missing.length} stored in S3\n`;
  if (check.missing.length === 0) return stored;
  const some = check.missing.slice(0, 5).join(', ');
  return `${stored}MISSING: ${check.missing.length} rollup windows never reached S3 (the rollup writer's warnings are in demo.log): ${some}${check.missing.length > 5 ? ', …' : ''}\n`;
}

export async function finish(ctx: DemoContext, o: RunOutcome): Promise<Finished> {
  const out: string[] = [];
  const s = o.viewer.state;
  out.push(section(`alerts seen (${s.transitions.length} transitions; the run ended: ${o.reason})`));
  if (ctx.mode === 'tty') out.push(...s.transitions.map((m) => `${renderAlertLine(m)}\n`));
  for (const [type, states] of alertTypesSeen(s)) out.push(`alert type ${type}: ${[...states].sort().join(', ')}\n`);

  const s3 = createS3Client({
    bucket: ctx.names.bucket,
    region: ctx.stack.S3_REGION,
    endpoint: ctx.stack.S3_ENDPOINT,
    forcePathStyle: true,
    accessKeyId: ctx.stack.S3_ACCESS_KEY,
    secretAccessKey: ctx.stack.S3_SECRET_KEY,
  });
  const objects = await listObjects(s3, ctx.names.bucket).catch(() => []);
  out.push(section(`Parquet objects in s3://${ctx.names.bucket} (${objects.length}) at ${ctx.stack.S3_ENDPOINT}`));
  out.push(
    objects.length
      ? textTable(
          ['key', 'bytes'],
          objects.map((x) => [x.key, String(x.size)]),
        )
      : 'none (no rollup window closed yet)\n',
  );

  const check = await checkRollupsStored(
    ctx.kafka,
    ctx.names.rollups,
    ROLLUP_PREFIX,
    objects.map((x) => x.key),
  ).catch((err: unknown) => ({ error: describeError(err) }));
  out.push(rollupsLines(ctx, check));

  const copies = join(ctx.outDir, 'rollups');
  let query = null;
  if (objects.length > 0) {
    await download(s3, ctx.names.bucket, objects, copies);
    query = await queryRollups(copies);
    out.push(section(`DuckDB over the copies in ${copies}: per minute, max allocation and peak write rate`));
    out.push(`${query.sql}\n\n`);
    out.push('error' in query ? `query failed: ${query.error}\n` : textTable(query.columns, query.rows));
  }
  s3.destroy();

  const facts: Array<[string, string]> = [
    ...o.facts,
    ['topics', `${ctx.names.raw}, ${ctx.names.alerts}, ${ctx.names.rates}`],
    ['bucket', ctx.names.bucket],
    ...firstAlertFacts(ctx, o),
  ];
  const report = join(ctx.outDir, 'report.html');
  writeFileSync(
    report,
    renderHtmlReport({
      title: `qmpipe demo ${ctx.names.id}`,
      generatedAt: Date.now(),
      startedAt: ctx.startedAt,
      state: s,
      facts,
      bucket: ctx.names.bucket,
      objects,
      query,
    }),
  );
  out.push(section('report'));
  out.push(`HTML report: ${report}\n`);
  for (const [k, v] of firstAlertFacts(ctx, o)) out.push(`${k ? `${k}: ` : '  '}${v}\n`);
  return { text: out.join(''), missingRollups: 'error' in check ? 0 : check.missing.length };
}
