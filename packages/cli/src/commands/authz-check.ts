import { FileSource, nodeIdOf, workloadPort, workloadsOf, type MeshModel, type Workload } from '@trellis/control-plane';
import { evaluate, type Decision, type RequestAttributes } from '@trellis/policy';

export interface AuthzCheck {
  configDir: string;
  /** A SPIFFE ID, an Istio principal (`cluster.local/ns/x/sa/y`), a workload (`name.namespace`), or `anonymous`. */
  from: string;
  /** A service: `name.namespace`, or `name` in the caller's namespace. */
  to: string;
  method: string;
  path: string;
  port?: number;
  headers: Record<string, string>;
  trustDomain: string;
  rootNamespace: string;
}

function principalOf(model: MeshModel, from: string, trustDomain: string): { principal?: string; namespace?: string; address: string } {
  if (from === 'anonymous') return { address: '127.0.0.1' };
  if (from.startsWith('spiffe://')) return { principal: from, namespace: /\/ns\/([^/]+)\//.exec(from)?.[1], address: '127.0.0.1' };
  if (/^[^/]+\/ns\/[^/]+\/sa\/[^/]+$/.test(from)) return principalOf(model, `spiffe://${from}`, trustDomain);
  const workload = model.workloads.find((w) => nodeIdOf(w) === from);
  if (!workload) throw new Error(`--from "${from}": not a SPIFFE ID, a principal or a known workload (<name>.<namespace>)`);
  return { principal: `spiffe://${trustDomain}/ns/${workload.namespace}/sa/${workload.serviceAccount}`, namespace: workload.namespace, address: workload.address };
}

export interface AuthzAnswer {
  workload: Workload;
  port: number;
  decision: Decision;
}

/**
 * `trellis authz check`: the decision each workload behind a service would make for
 * one request, computed offline from the config files with the same evaluator whose
 * RBAC translation the proxies enforce.
 */
export function authzCheck(check: AuthzCheck): AuthzAnswer[] {
  const { model } = new FileSource(check.configDir).load();
  const caller = principalOf(model, check.from, check.trustDomain);
  const [name, namespace = caller.namespace] = check.to.split('.');
  const service = model.services.find((s) => s.name === name && s.namespace === namespace);
  if (!service) throw new Error(`--to "${check.to}": no such service${namespace ? ` in namespace ${namespace}` : ' (give <name>.<namespace>)'}`);
  const port = check.port === undefined ? service.ports[0]! : service.ports.find((p) => p.port === check.port);
  if (!port) throw new Error(`--port ${check.port}: service ${service.name}.${service.namespace} has ports ${service.ports.map((p) => p.port).join(', ')}`);
  const backends = workloadsOf(model, service);
  if (backends.length === 0) throw new Error(`service ${service.name}.${service.namespace} selects no workloads`);
  return backends.map((workload) => {
    const target = workloadPort(workload, port) ?? port.port;
    const request: RequestAttributes = {
      ...(caller.principal ? { principal: caller.principal } : {}),
      sourceIp: caller.address,
      destinationIp: workload.address,
      destinationPort: target,
      ...(port.protocol === 'tcp' ? {} : { http: { method: check.method.toUpperCase(), path: check.path, host: `${service.name}:${port.port}`, headers: check.headers } }),
    };
    const decision = evaluate(model.authorizationPolicies, workload, request, { rootNamespace: check.rootNamespace, trustDomain: { trustDomain: check.trustDomain } });
    return { workload, port: target, decision };
  });
}

export function formatAuthzAnswers(answers: AuthzAnswer[]): string {
  return answers.map(({ workload, port, decision }) => {
    const reason = typeof decision.reason === 'string' ? decision.reason : `policy ${decision.reason.policy}, rule ${decision.reason.ruleIndex}`;
    const extras = [
      ...decision.audited.map((a) => `audited by ${a.policy} rule ${a.ruleIndex}`),
      ...decision.dryRun.map((d) => `dry-run ${JSON.stringify(d)}`),
    ];
    return `${decision.decision.padEnd(5)} ${nodeIdOf(workload)}:${port}  (${reason})${extras.length ? `  [${extras.join('; ')}]` : ''}`;
  }).join('\n');
}
