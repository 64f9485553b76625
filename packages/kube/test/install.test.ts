import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { installObjects, renderInstall, renderUninstall, type KubeObject } from '../src/install';

function parse(yaml: string): KubeObject[] {
  return parseAllDocuments(yaml).map((document) => {
    expect(document.errors).toEqual([]);
    return document.toJS() as KubeObject;
  });
}

const names = (objects: KubeObject[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`);

/** kubectl decodes each object offline; `apply --dry-run=client` would need an API server for discovery. */
function kubectlDecodes(yaml: string): string[] | undefined {
  const probe = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return undefined;
  const run = spawnSync('kubectl', ['annotate', '--local', '--dry-run=client', '-o', 'name', '-f', '-', 'trellis.dev/check=1'], { input: yaml, encoding: 'utf8', timeout: 30_000 });
  if (run.status !== 0) throw new Error(run.stderr);
  return run.stdout.trim().split('\n');
}

describe('renderInstall', () => {
  const objects = parse(renderInstall());

  test('every object has apiVersion, kind and metadata.name', () => {
    for (const object of objects) {
      expect(typeof object.apiVersion).toBe('string');
      expect(typeof object.kind).toBe('string');
      expect(typeof object.metadata.name).toBe('string');
    }
  });

  test('applies the namespace and CRDs first and the injector webhook last', () => {
    expect(names(objects)).toEqual([
      'Namespace/trellis-system',
      'CustomResourceDefinition/authorizationpolicies.security.trellis.dev',
      'CustomResourceDefinition/peerauthentications.security.trellis.dev',
      'CustomResourceDefinition/workloadentries.networking.trellis.dev',
      'CustomResourceDefinition/wafpolicies.security.trellis.dev',
      'ServiceAccount/trellis-control-plane',
      'ClusterRole/trellis-control-plane',
      'ClusterRoleBinding/trellis-control-plane',
      'Role/trellis-control-plane',
      'RoleBinding/trellis-control-plane',
      'Deployment/trellis-control-plane',
      'Service/trellis-control-plane',
      'Service/trellis-control-plane-admin',
      'PodDisruptionBudget/trellis-control-plane',
      'MutatingWebhookConfiguration/trellis-sidecar-injector',
    ]);
  });

  test('grants no wildcards, and Secrets only in its own namespace', () => {
    const rules = (kind: string) => objects.filter((o) => o.kind === kind).flatMap((o) => o['rules'] as { apiGroups: string[]; resources: string[]; verbs: string[] }[]);
    for (const rule of [...rules('ClusterRole'), ...rules('Role')]) {
      expect([...rule.apiGroups, ...rule.resources, ...rule.verbs]).not.toContain('*');
    }
    expect(rules('ClusterRole').flatMap((r) => r.resources)).not.toContain('secrets');
    expect(objects.find((o) => o.kind === 'Role')!.metadata.namespace).toBe('trellis-system');
    expect(rules('ClusterRole').filter((r) => r.verbs.includes('create'))).toEqual([{ apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] }]);
  });

  test('the control plane runs as non-root with probes and resources, serving the four ports', () => {
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    const pod = (deployment['spec'] as { template: { spec: Record<string, unknown> } }).template.spec;
    const container = (pod['containers'] as Record<string, unknown>[])[0]!;
    expect(pod['securityContext']).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
    expect(container['securityContext']).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(container).toHaveProperty('readinessProbe');
    expect(container).toHaveProperty('livenessProbe');
    expect(container).toHaveProperty('resources.requests.memory');
    expect((container['ports'] as { containerPort: number }[]).map((p) => p.containerPort)).toEqual([15010, 15012, 15014, 15017]);
  });

  test('the injector selects labelled namespaces and calls the control plane', () => {
    const [webhook] = objects.find((o) => o.kind === 'MutatingWebhookConfiguration')!['webhooks'] as Record<string, unknown>[];
    expect(webhook).toMatchObject({
      namespaceSelector: { matchLabels: { 'trellis-injection': 'enabled' } },
      clientConfig: { service: { name: 'trellis-control-plane', namespace: 'trellis-system' } },
    });
  });

  test('options move everything to the namespace and set images and replicas', () => {
    const custom = parse(renderInstall({ namespace: 'mesh', hub: 'registry.example:5000/trellis', tag: 'v0.1.0', replicas: 3 }));
    expect(JSON.stringify(custom)).not.toContain('trellis-system');
    expect(custom[0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'mesh' } });
    const deployment = custom.find((o) => o.kind === 'Deployment')!;
    expect(deployment).toMatchObject({ metadata: { namespace: 'mesh' }, spec: { replicas: 3 } });
    const container = (deployment['spec'] as { template: { spec: { containers: { image: string; env: { name: string; value?: string }[] }[] } } }).template.spec.containers[0]!;
    expect(container.image).toBe('registry.example:5000/trellis/control-plane:v0.1.0');
    expect(container.env.find((e) => e.name === 'TRELLIS_PROXY_IMAGE')!.value).toBe('registry.example:5000/trellis/proxy:v0.1.0');
    expect(custom.find((o) => o.kind === 'ClusterRoleBinding')!['subjects']).toEqual([{ kind: 'ServiceAccount', name: 'trellis-control-plane', namespace: 'mesh' }]);
  });

  test.each([
    [{ namespace: 'Trellis_System' }, 'install option namespace: "Trellis_System" is not a valid namespace name'],
    [{ hub: 'https://ghcr.io/x' }, 'install option hub: "https://ghcr.io/x" is not an image registry path'],
    [{ tag: 'v1 beta' }, 'install option tag: "v1 beta" is not an image tag'],
    [{ replicas: 0 }, 'install option replicas: 0 must be a whole number ≥ 1'],
  ])('rejects %j', (options, message) => {
    expect(() => renderInstall(options)).toThrow(message);
  });

  test('kubectl decodes every object (when kubectl is installed)', () => {
    const decoded = kubectlDecodes(renderInstall());
    if (decoded === undefined) return;
    expect(decoded).toHaveLength(objects.length);
  });
});

describe('renderUninstall', () => {
  test('removes the webhook first and keeps the CRDs unless purging', () => {
    const kept = parse(renderUninstall());
    expect(names(kept)[0]).toBe('MutatingWebhookConfiguration/trellis-sidecar-injector');
    expect(names(kept).at(-1)).toBe('Namespace/trellis-system');
    expect(kept.some((o) => o.kind === 'CustomResourceDefinition')).toBe(false);
    const purged = parse(renderUninstall({ purgeCrds: true, namespace: 'mesh' }));
    expect(purged.filter((o) => o.kind === 'CustomResourceDefinition')).toHaveLength(4);
    expect(purged.map((o) => o.metadata.namespace).filter(Boolean)).not.toContain('trellis-system');
    expect(purged.length).toBe(installObjects().length);
  });
});
