/**
 * What a systemd service unit would run, read the way systemd reads it, for tests that run
 * a unit's command without systemd (test/integration/package.test.ts): the [Service]
 * section's settings, the environment from Environment= and EnvironmentFile= (a leading
 * `-` makes the file optional), and ExecStart split into words with ${VAR} and $VAR
 * expanded from that environment. Enough for qmpipe's units: no quoting, no specifiers.
 */
import { existsSync, readFileSync } from 'node:fs';

export interface ServiceCommand {
  /** ExecStart, expanded, split on white space. */
  argv: string[];
  /** Environment= and EnvironmentFile= variables (later settings win, as in systemd). */
  env: Map<string, string>;
  /** User=, absent when the unit runs as root. */
  user: string | undefined;
}

/** `Key=value` lines of one section, every value of a key in order (comments and blanks skipped). */
export function sectionSettings(unitText: string, section: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  let current = '';
  for (const raw of unitText.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = header[1]!;
      continue;
    }
    const eq = line.indexOf('=');
    if (current !== section || eq < 0) continue;
    const key = line.slice(0, eq).trim();
    settings.set(key, [...(settings.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return settings;
}

/** `KEY=VALUE` lines of an environment file (systemd's format without quotes). */
export function readEnvironmentFile(text: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) env.set(m[1]!, m[2]!.trim());
  }
  return env;
}

export function serviceCommand(unitText: string): ServiceCommand {
  const service = sectionSettings(unitText, 'Service');
  const env = new Map<string, string>();
  for (const value of service.get('Environment') ?? []) {
    for (const assignment of value.split(/\s+/)) {
      const eq = assignment.indexOf('=');
      if (eq > 0) env.set(assignment.slice(0, eq), assignment.slice(eq + 1));
    }
  }
  for (const value of service.get('EnvironmentFile') ?? []) {
    const optional = value.startsWith('-');
    const path = optional ? value.slice(1) : value;
    if (optional && !existsSync(path)) continue;
    for (const [k, v] of readEnvironmentFile(readFileSync(path, 'utf8'))) env.set(k, v);
  }
  const execStart = service.get('ExecStart');
  if (execStart?.length !== 1) throw new Error(`expected one ExecStart, found ${execStart?.length ?? 0}`);
  const expand = (word: string) =>
    word.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a: string | undefined, b: string | undefined) => {
      const name = (a ?? b)!;
      const v = env.get(name);
      if (v === undefined) throw new Error(`ExecStart uses \${${name}}, which no Environment= or EnvironmentFile= sets`);
      return v;
    });
  return { argv: execStart[0]!.split(/\s+/).map(expand), env, user: service.get('User')?.at(-1) };
}
