// Shared readiness loop of the infra wait scripts: calls `probe` every 250 ms until it
// resolves or the deadline passes. With QMPIPE_WAIT_PID set, a server that exits fails
// the wait at once. Exits the process: 0 when ready, 1 with `[component] ...` on stderr.
export async function waitFor(component, what, timeoutSeconds, probe) {
  const deadline = Date.now() + Number(timeoutSeconds ?? 60) * 1000;
  const watchPid = Number(process.env.QMPIPE_WAIT_PID ?? 0);
  const alive = () => {
    if (!watchPid) return true;
    try {
      process.kill(watchPid, 0);
      return true;
    } catch {
      return false;
    }
  };
  let lastError = 'no attempt';
  while (Date.now() < deadline) {
    if (!alive()) {
      process.stderr.write(`[${component}] process ${watchPid} exited before it was ready: ${lastError}\n`);
      process.exit(1);
    }
    try {
      await probe();
      process.exit(0);
    } catch (err) {
      lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  process.stderr.write(`[${component}] ${what} not ready: ${lastError}\n`);
  process.exit(1);
}
