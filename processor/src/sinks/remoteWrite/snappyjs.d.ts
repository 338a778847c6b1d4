/** snappyjs 0.7 (pure JavaScript Snappy, block format): the two functions it exports. */
declare module 'snappyjs' {
  export function compress(input: Uint8Array): Uint8Array;
  export function uncompress(input: Uint8Array, maxLength?: number): Uint8Array;
}
