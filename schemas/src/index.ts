export * from './types.js';
export { SchemaError, SingleObjectCodec, loadSchema, fingerprintOf, canonicalForm, rabin64, schemaTopicMessage } from './avro.js';
export { rawCodec, encodeRaw, decodeRaw } from './raw.js';
