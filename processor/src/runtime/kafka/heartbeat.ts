/**
 * Runs `work`, heartbeating every second meanwhile (kafkajs sends one only when its
 * interval has passed), so the group keeps a member busy on a long step (a take-over's
 * checkpoint read, an S3 put). A heartbeat that fails (a rebalance) is left to the
 * caller's loop, whose own heartbeat will fail the same way.
 */
export async function whileHeartbeating<T>(heartbeat: () => Promise<void>, work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => void heartbeat().catch(() => undefined), 1_000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
