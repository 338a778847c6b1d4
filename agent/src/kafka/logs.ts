import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from '../../../common/src/log.js';

/** Routes kafkajs's own logs into our structured logger (warn and error only). */
export function kafkaLogCreator(log: Logger): logCreator {
  return () => ({ namespace, level, log: entry }) => {
    const { message, ...fields } = entry as { message: string } & Record<string, unknown>;
    delete fields.timestamp;
    delete fields.logger;
    const f = { kafkajs: namespace, ...fields };
    if (message.startsWith('Limiting retries for the idempotent producer')) {
      // By design (see options.ts): a failed batch is re-sent unchanged, reusing its sequence numbers.
      log.info('kafkajs retries are bounded; the publisher re-sends failed batches unchanged (deduplicated by the broker)', f);
      return;
    }
    if (level === logLevel.ERROR) log.error(message, f);
    else if (level === logLevel.WARN) log.warn(message, f);
  };
}
