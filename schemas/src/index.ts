export * from './types.js';
export { SchemaError, SingleObjectCodec, loadSchema, fingerprintOf, canonicalForm, rabin64, schemaTopicMessage } from './codecs/avro.js';
export { rawCodec, encodeRaw, decodeRaw } from './codecs/raw.js';
