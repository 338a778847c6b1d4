/**
 * What every alert carries for routing, from config (`alerts.routing`): the runbook of its
 * type (`<runbookBase>#<type>`, or the type's own URL) and the static labels (cluster,
 * region…), in config order. Built once per core (context.ts); names from config are
 * never object keys here.
 */
import { AlertType, type AlertRoutingConfig } from '#schemas/config/processor.js';
import type { StaticLabel } from '#schemas/outputs.js';

export interface AlertRouting {
  runbooks: ReadonlyMap<AlertType, string>;
  labels: readonly StaticLabel[];
}

export function alertRouting(cfg: AlertRoutingConfig): AlertRouting {
  const runbooks = new Map<AlertType, string>();
  for (const type of AlertType.options) runbooks.set(type, cfg.runbooks[type] ?? `${cfg.runbookBase}#${type}`);
  const labels = Object.freeze(Object.entries(cfg.staticLabels).map(([name, value]) => Object.freeze({ name, value })));
  return { runbooks, labels };
}
