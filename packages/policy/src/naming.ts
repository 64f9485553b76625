// Istio's RBAC policy names, `ns[<ns>]-policy[<name>]-rule[<i>]`: the proxy reports the
// matched name, from which the deciding policy and rule are recovered.

/** A rule of an AuthorizationPolicy: `policy` is `namespace/name`. */
export interface PolicyRuleRef {
  policy: string;
  ruleIndex: number;
}

export function rbacPolicyName(namespace: string, name: string, ruleIndex: number): string {
  return `ns[${namespace}]-policy[${name}]-rule[${ruleIndex}]`;
}

const NAME = /^ns\[([^\]]*)\]-policy\[([^\]]*)\]-rule\[(\d+)\]$/;

/** The policy and rule behind an RBAC policy name, or undefined if it is not one of ours. */
export function parseRbacPolicyName(rbacName: string): PolicyRuleRef | undefined {
  const m = NAME.exec(rbacName);
  return m ? { policy: `${m[1]}/${m[2]}`, ruleIndex: Number(m[3]) } : undefined;
}
