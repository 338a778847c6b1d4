/**
 * The config reference (schemas/CONFIG.md), generated from the zod schemas themselves
 * so it cannot drift: every key with its type, default and constraints, and the doc
 * comment written above it in the schema source. A unit test fails when the
 * committed reference is stale (`npm run docs` rewrites it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { packageRoot } from '#common/paths.js';
import { AgentConfig } from './agent.js';
import { ProcessorRuntimeConfig } from './processorRuntime.js';
import type { EnvBinding } from '#common/config.js';
import { AGENT_ENV, LAMBDA_ENV, PROCESSOR_ENV } from './env.js';
import { LambdaConfig } from './lambda.js';

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  required?: string[];
}

/** Doc comments by key name, from schema sources (a key documented twice differently is left out). */
export function docComments(sources: string[]): Map<string, string> {
  const docs = new Map<string, string | null>();
  for (const src of sources) {
    for (const m of src.matchAll(/\/\*\*((?:[^*]|\*(?!\/))*)\*\/\s*\n?\s*([A-Za-z]\w*)\s*:/g)) {
      const text = m[1]!
        .split('\n')
        .map((l) => l.replace(/^\s*\*\s?/, '').trim())
        .filter(Boolean)
        .join(' ');
      const prev = docs.get(m[2]!);
      docs.set(m[2]!, prev === undefined || prev === text ? text : null);
    }
  }
  return new Map([...docs].filter((e): e is [string, string] => e[1] !== null));
}

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.anyOf) return s.anyOf.map(typeOf).join(' \\| ');
  if (s.type === 'array') return `${s.items ? typeOf(s.items) : 'any'}[]`;
  return Array.isArray(s.type) ? s.type.join(' \\| ') : (s.type ?? 'any');
}

function constraints(s: JsonSchema): string {
  const c: string[] = [];
  if (s.minimum !== undefined && s.minimum > -Number.MAX_SAFE_INTEGER) c.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) c.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER) c.push(`≤ ${s.maximum}`);
  if (s.exclusiveMaximum !== undefined) c.push(`< ${s.exclusiveMaximum}`);
  if (s.minLength) c.push(`length ≥ ${s.minLength}`);
  if (s.minItems) c.push(`≥ ${s.minItems} items`);
  if (s.maxItems !== undefined) c.push(`≤ ${s.maxItems} items`);
  if (s.pattern) c.push(`\`${s.pattern.replace(/\|/g, '\\|')}\``);
  return c.join(', ');
}

function rows(s: JsonSchema, path: string, required: boolean, docs: Map<string, string>, out: string[]): void {
  const obj = s.properties ? s : s.anyOf?.find((a) => a.properties);
  if (obj?.properties) {
    for (const [k, v] of Object.entries(obj.properties)) rows(v, path ? `${path}.${k}` : k, obj.required?.includes(k) ?? false, docs, out);
    return;
  }
  const key = path.split('.').pop()!;
  const def = s.default === undefined ? (required ? '**required**' : '') : `\`${JSON.stringify(s.default)}\``;
  out.push(`| \`${path}\` | ${typeOf(s)} | ${def} | ${constraints(s)} | ${docs.get(key) ?? ''} |`);
}

export function referenceOf(title: string, schema: z.ZodType, docs: Map<string, string>): string {
  const js = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const out = [`## ${title}`, '', '| key | type | default | constraints | meaning |', '|---|---|---|---|---|'];
  rows(js, '', false, docs, out);
  return out.join('\n');
}

/** The environment variables of one app: which setting each sets. */
export function envReference(bindings: readonly EnvBinding[]): string {
  const out = ['| variable | sets | as | meaning |', '|---|---|---|---|'];
  for (const b of bindings) out.push(`| \`${b.name}\` | \`${b.path}\` | ${b.kind}${b.secret ? ', secret' : ''} | ${b.doc} |`);
  return out.join('\n');
}

export function configReference(): string {
  const dir = join(packageRoot(), 'schemas', 'src', 'config');
  const docs = docComments(
    ['agent.ts', 'kafka.ts', 'log.ts', 'processor.ts', 'processorRuntime.ts', 'lambda.ts', 'sinks.ts', 'remoteWrite.ts'].map((f) =>
      readFileSync(join(dir, f), 'utf8'),
    ),
  );
  return [
    '# Configuration reference',
    '',
    'Generated from the zod schemas in `schemas/src/config/` by `npm run docs`; a unit test fails when this file is stale.',
    'Every object is strict: an unknown key is an error naming its path. One loader reads every config (common/src/config.ts):',
    'the file (or, without one, the whole config as JSON in `QMPIPE_CONFIG`), then the environment variables listed under each',
    'app (secrets belong there), then command-line flags; then the schema validates it once.',
    '',
    referenceOf('Agent (`qmpipe agent --config agent.json`)', AgentConfig, docs),
    '',
    envReference(AGENT_ENV),
    '',
    referenceOf('Processor (`qmpipe processor --config processor.json`; the `core` part is also `qmpipe replay --config`)', ProcessorRuntimeConfig, docs),
    '',
    envReference(PROCESSOR_ENV),
    '',
    referenceOf('AWS Lambda handler (environment only)', LambdaConfig, docs),
    '',
    envReference(LAMBDA_ENV),
    '',
  ].join('\n');
}
