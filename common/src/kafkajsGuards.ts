/**
 * The guards qmpipe installs on kafkajs 2.2.4 (ARCHITECTURE.md, "kafkajs guards"): every
 * command that talks to Kafka calls installKafkajsGuards() first thing, in its entry
 * (agent, processor, Lambda handler, alerts, top --kafka, demo). Each guard patches a
 * kafkajs prototype process-wide, is idempotent, and throws KAFKAJS_GUARD_UNSUPPORTED on a
 * kafkajs it was not written against (package.json pins kafkajs to exactly 2.2.4).
 */
import { installKafkajsReadCommittedGuard } from './kafkajsReadCommittedGuard.js';
import { installKafkajsRequestQueueGuard } from './kafkajsRequestQueueGuard.js';
import { installKafkajsRequestTimeoutGuard } from './kafkajsRequestTimeoutGuard.js';

export function installKafkajsGuards(): void {
  installKafkajsRequestQueueGuard(); // no 1 ms timer loop per idle connection
  installKafkajsRequestTimeoutGuard(); // no 100 ms time-out check per idle connection
  installKafkajsReadCommittedGuard(); // no records of aborted transactions for read_committed consumers
}
