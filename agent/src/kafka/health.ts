/** The agent's /healthz: its Kafka publisher's state (publisher.ts). */
import { HEALTHY, unhealthy, type Health } from '#common/health.js';

/** The publisher's health from its state: connected (producer ready), and the last failure if the last attempt failed. */
export function publisherHealth(ready: boolean, failing: string | null): Health {
  if (failing !== null) return unhealthy(`Kafka: ${ready ? 'cannot deliver' : 'not connected'}: ${failing}`);
  return ready ? HEALTHY : unhealthy('Kafka: connecting');
}
