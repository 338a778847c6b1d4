/**
 * One step of a lane against the object store: a complete window into its object
 * (objects.ts), each object it completes put, then its windows marked stored in the lane
 * (assembly.ts), so the lane's commit passes them. The writer (writer.ts) runs it with S3
 * behind retries; the rollup-files bench and the unit tests with an in-memory store.
 */
import { type CompleteWindow, type Lane, markStored } from './assembly.js';
import { addWindow, type LaneObjects, needsListing, type ObjectSettings, objectStored, type ReadyObject, setListed } from './objects.js';

/** The store as the lane sees it. */
export interface LaneIo {
  list(prefix: string): Promise<string[]>;
  put(obj: ReadyObject): Promise<void>;
}

export interface WindowWritten {
  /** A stored object held it already (read again after a restart): not written again. */
  skipped: boolean;
  stored: ReadyObject[];
}

export async function writeWindow(lane: Lane, objs: LaneObjects, s: ObjectSettings, w: CompleteWindow, now: number, io: LaneIo): Promise<WindowWritten> {
  const folder = needsListing(objs, s, w);
  if (folder !== null) setListed(objs, w, await io.list(folder));
  const { ready, skipped } = addWindow(objs, s, w, now);
  if (skipped) markStored(lane, w);
  await storeObjects(lane, objs, ready, io);
  return { skipped, stored: ready };
}

/** Puts the objects in order; each one stored marks its windows stored in the lane. */
export async function storeObjects(lane: Lane, objs: LaneObjects, ready: readonly ReadyObject[], io: LaneIo): Promise<void> {
  for (const obj of ready) {
    await io.put(obj);
    objectStored(objs, obj);
    for (const firstOffset of obj.handles) markStored(lane, { firstOffset });
  }
}
