import { FileSource, formatFileDiagnostic } from '@trellis/control-plane';

/** Offline check of a config directory: returns the report and whether it has errors. */
export function validateDirectory(dir: string): { report: string; ok: boolean } {
  const { model, diagnostics } = new FileSource(dir).load();
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const lines = diagnostics.map(formatFileDiagnostic);
  lines.push(`${dir}: ${model.services.length} services, ${model.workloads.length} workloads, ${model.authorizationPolicies.length} authorization policies, ${model.peerAuthentications.length} peer authentications, ${model.wafPolicies.length} WAF policies; ${errors} errors, ${diagnostics.length - errors} warnings`);
  return { report: lines.join('\n'), ok: errors === 0 };
}
