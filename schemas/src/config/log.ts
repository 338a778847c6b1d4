/**
 * The `log` section of every config with one, and the level's environment variable
 * (QMPIPE_LOG_LEVEL, env.ts LOG_ENV): the loader applies it over the file like any other
 * setting, so the level a command logs at is resolved once, with the rest of its config.
 */
import { z } from 'zod';

export const LogConfig = z
  .object({
    /** Least severe level written (JSON lines on stderr); QMPIPE_LOG_LEVEL overrides the file. */
    level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  })
  .strict();

export type LogConfig = z.infer<typeof LogConfig>;
