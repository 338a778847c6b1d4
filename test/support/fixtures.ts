/**
 * The repository's transcript fixtures (test/fixtures/README.md), for tests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '#common/paths.js';
import type { Tick } from '#agent/sample/tick.js';
import { ticksOf } from '#tools/transcript/segmenter.js';

/** Path of a fixture, e.g. fixturePath('qmp', 'kvm-vcpu-stats.jsonl'). */
export function fixturePath(...parts: string[]): string {
  return join(packageRoot(), 'test', 'fixtures', ...parts);
}

export function fixtureLines(...parts: string[]): string[] {
  return readFileSync(fixturePath(...parts), 'utf8').split('\n');
}

/** The ticks of a fixture, as the live poller would hand them to the builder. */
export function fixtureTicks(...parts: string[]): Tick[] {
  return ticksOf(fixtureLines(...parts));
}
