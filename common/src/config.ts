/**
 * The one way configuration enters qmpipe: a JSON file (or the whole config as JSON
 * in QMPIPE_CONFIG, for hosts without files such as AWS Lambda), then environment
 * variables for single settings (secrets stay out of files), then command-line flags,
 * validated once by the app's strict zod schema. Every failure is a ConfigError
 * naming the file, the variable or the zod path of the first issue. No network here
 * (docs/style.md, "Config validated once, at the edge").
 *
 * Which variable sets which setting is data (`EnvBinding`), declared beside each
 * schema in schemas/src/config/, so the reference (schemas/CONFIG.md) lists them.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError } from './errors.js';

/** How a variable's text becomes a value. `list`: comma-separated strings. */
export type EnvKind = 'string' | 'list' | 'number' | 'boolean' | 'json';

/** An environment variable that sets the setting at a dotted `path`. */
export interface EnvBinding {
  name: string;
  path: string;
  kind: EnvKind;
  doc: string;
  /** A secret (password, token): no error or log line ever prints its value, only its name. */
  secret?: true;
}

export interface ConfigSource {
  /** A JSON config file. Without one: `raw`, else QMPIPE_CONFIG (JSON text), else `{}`. */
  file?: string | undefined;
  /** The config as a value (tests, configs built by other code). */
  raw?: unknown;
  /** The environment to read bindings from (commands pass process.env); none when omitted. */
  env?: NodeJS.ProcessEnv;
  /** Settings from flags, by dotted path: applied last. `undefined` values are skipped. */
  overrides?: Readonly<Record<string, unknown>>;
}

export function readJsonFile(file: string, label: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(`cannot read ${label} ${file}`, { cause });
  }
  return parseJson(text, `${label} ${file}`);
}

/**
 * The parser's own message quotes the text around the mistake, which may be a secret
 * (a password in the file, QMPIPE_CONFIG): the error gives only where the mistake is.
 */
function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const at = /at position (\d+)/.exec((err as Error).message)?.[1];
    throw new ConfigError(`${what} is not JSON${at === undefined ? '' : ` (${lineAndColumn(text, Number(at))})`}`);
  }
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
}

/** Validates a raw config with its schema; the error names the first issue's path. */
export function parseConfig<S extends z.ZodType>(schema: S, raw: unknown, label: string): z.infer<S> {
  const res = schema.safeParse(raw);
  if (!res.success) {
    const issue = res.error.issues[0]!;
    const path = issue.path.map(String).join('.') || '(root)';
    throw new ConfigError(`${label}: ${path}: ${issue.message}`, { context: { path, issues: res.error.issues.length } });
  }
  return res.data;
}

/** A variable's value, typed by its binding. */
export function envValue(b: EnvBinding, text: string): unknown {
  switch (b.kind) {
    case 'string':
      return text;
    case 'list':
      return text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    case 'number': {
      const n = Number(text.trim());
      if (text.trim() === '' || !Number.isFinite(n)) throw new ConfigError(`${b.name}: ${shown(b, text)} is not a number`, { context: { variable: b.name } });
      return n;
    }
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(text.trim())) return true;
      if (/^(false|0|no|off)$/i.test(text.trim())) return false;
      throw new ConfigError(`${b.name}: ${shown(b, text)} is not a boolean (true or false)`, { context: { variable: b.name } });
    case 'json':
      return parseJson(text, b.name);
  }
}

/** A variable's text as an error may quote it: a secret's never. */
function shown(b: EnvBinding, text: string): string {
  return b.secret ? '(its value, a secret, not shown)' : `'${text}'`;
}

/** Sets `value` at a dotted path of a plain object, creating objects on the way. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = target;
  for (const k of keys.slice(0, -1)) {
    const next = o[k];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  o[keys[keys.length - 1]!] = value;
}

/** file or QMPIPE_CONFIG → environment bindings → overrides → the schema. */
export function loadConfig<S extends z.ZodType>(schema: S, label: string, bindings: readonly EnvBinding[], src: ConfigSource): z.infer<S> {
  const env = src.env ?? {};
  const base =
    src.file !== undefined
      ? readJsonFile(src.file, label)
      : src.raw !== undefined
        ? src.raw
        : env.QMPIPE_CONFIG
          ? parseJson(env.QMPIPE_CONFIG, 'QMPIPE_CONFIG')
          : {};
  if (typeof base !== 'object' || base === null || Array.isArray(base)) return parseConfig(schema, base, label);
  const raw = structuredClone(base) as Record<string, unknown>;
  for (const b of bindings) {
    const text = env[b.name];
    if (text !== undefined && text !== '') setPath(raw, b.path, envValue(b, text));
  }
  for (const [path, value] of Object.entries(src.overrides ?? {})) if (value !== undefined) setPath(raw, path, value);
  try {
    return parseConfig(schema, raw, label);
  } catch (err) {
    const hint = err instanceof ConfigError ? envHint(bindings, env, String(err.context.path ?? '')) : null;
    if (!hint) throw err;
    throw new ConfigError(`${(err as ConfigError).message} (${hint})`, { cause: err, context: (err as ConfigError).context });
  }
}

/**
 * Which environment variable a failing setting comes from, or would: where settings come
 * only from the environment (Lambda), the error must name the variable to fix.
 */
function envHint(bindings: readonly EnvBinding[], env: Record<string, string | undefined>, path: string): string | null {
  const exact = bindings.find((b) => b.path === path);
  if (exact) {
    const text = env[exact.name];
    if (!text) return `set ${exact.name}`;
    return exact.secret ? `from ${exact.name}, a secret: its value is not shown` : `from ${exact.name}=${JSON.stringify(text)}`;
  }
  const below = bindings.filter((b) => b.path.startsWith(`${path}.`)).map((b) => b.name);
  return below.length > 0 ? `set ${below.join(' or ')}` : null;
}
