/** One JSON line per event on stderr: machine-readable, and never carrying secrets (callers pass none). */
export function logLine(component: string): (event: string, fields?: Record<string, unknown>) => void {
  return (event, fields = {}) => process.stderr.write(JSON.stringify({ time: new Date().toISOString(), component, event, ...fields }) + '\n');
}

/** Resolves on Ctrl-C or SIGTERM: long-running commands then shut down cleanly. */
export function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
