/**
 * Drives the rollup writer's core (assembly lanes, objects.ts, laneStore.ts) over windows (taken
 * one at a time: a window's rows are garbage once it is in its object) as
 * its consumer would read them: each window as one rollups-topic record of its lane (raw
 * partition mod 24, as the processor keys them), a fake clock, an in-memory store at the
 * writer's store interface; every open object put at the end (a stop).
 */
import type { ClosedWindow } from '#processor/partition/rollupBuffer.js';
import { committable, emptyLane, type Lane } from '#processor/rollupWriter/assembly.js';
import { type LaneIo, storeObjects, writeWindow } from '#processor/rollupWriter/laneStore.js';
import { allObjects, emptyObjects, type LaneObjects, type ObjectSettings, type ReadyObject } from '#processor/rollupWriter/objects.js';

export async function runLanes(
  windows: Iterable<{ partition: number; window: ClosedWindow }>,
  settings: ObjectSettings,
  onPut: (o: ReadyObject) => void = () => {},
): Promise<{ objects: Map<string, Uint8Array>; committed: Map<number, number | null> }> {
  const objects = new Map<string, Uint8Array>();
  const io: LaneIo = {
    list: async (prefix) => [...objects.keys()].filter((k) => k.startsWith(prefix)),
    put: async (o) => {
      objects.set(o.key, o.body);
      onPut(o);
    },
  };
  const lanes = new Map<number, { lane: Lane; objs: LaneObjects; next: number }>();
  let clock = 0;
  for (const { partition, window } of windows) {
    const id = partition % 24;
    let l = lanes.get(id);
    if (!l) lanes.set(id, (l = { lane: emptyLane(), objs: emptyObjects(), next: 0 }));
    const offset = l.next++;
    l.lane.nextOffset = offset + 1;
    l.lane.unstored.add(offset);
    await writeWindow(
      l.lane,
      l.objs,
      settings,
      { id: `${partition}:${window.resolutionMs}:${window.windowStart}`, partition, window, firstOffset: offset },
      (clock += 1_000),
      io,
    );
  }
  const committed = new Map<number, number | null>();
  for (const [id, l] of lanes) {
    await storeObjects(l.lane, l.objs, allObjects(l.objs, settings), io);
    committed.set(id, committable(l.lane));
  }
  return { objects, committed };
}
