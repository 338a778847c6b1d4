/**
 * One RPC procedure as data: where it goes (program, version, number), how its arguments
 * are written and how its reply payload is read. Pure; the client only moves the bytes.
 */
import { XdrReader, XdrWriter } from './xdr.js';

export interface Procedure<Args, Ret> {
  readonly name: string;
  readonly program: number;
  readonly version: number;
  readonly proc: number;
  encode(args: Args): Buffer;
  decode(payload: Buffer): Ret;
}

export type ArgsWriter<Args> = (w: XdrWriter, args: Args) => void;
export type RetReader<Ret> = (r: XdrReader) => Ret;

/** Builds a Procedure from field writers/readers; decode insists on consuming every byte. */
export function procedure<Args, Ret>(
  name: string,
  program: number,
  version: number,
  proc: number,
  write: ArgsWriter<Args>,
  read: RetReader<Ret>,
): Procedure<Args, Ret> {
  return {
    name,
    program,
    version,
    proc,
    encode(args) {
      const w = new XdrWriter();
      write(w, args);
      return w.bytes();
    },
    decode(payload) {
      const r = new XdrReader(payload);
      const v = read(r);
      r.expectEnd();
      return v;
    },
  };
}

export const noArgs = (): void => {};
export const noRet = (): void => {};
