/** One JSON line per event on stderr: machine-readable, and never carrying secrets (callers pass none). */
export function logLine(component: string): (event: string, fields?: Record<string, unknown>) => void {
  return (event, fields = {}) => process.stderr.write(JSON.stringify({ time: new Date().toISOString(), component, event, ...fields }) + '\n');
}
