/** @jest-environment ./packages/kube/test/kube-environment.js */
// webhook-server loads client-node (through its Namespace informer), an ES module jest's CommonJS runtime cannot require on Node 20.
jest.mock('@kubernetes/client-node', () => (globalThis as { __clientNode?: unknown }).__clientNode);

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { INJECT_PATH } from '../src/injection/webhook-server';
import { installObjects, renderInstall, renderUninstall, type KubeObject } from '../src/install';
import { FAKE_KINDS, FakeApiServer, INSTALL_KINDS, type ServingTls } from './fake-apiserver';
import { makeServingTls } from './serving-tls';

function parse(yaml: string): KubeObject[] {
  return parseAllDocuments(yaml).map((document) => {
    expect(document.errors).toEqual([]);
    return document.toJS() as KubeObject;
  });
}

const names = (objects: KubeObject[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`);

const kubectlInstalled = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
/** kubectl sends a bearer token only over TLS, so the stand-in serves HTTPS for it. */
const tls = kubectlInstalled ? makeServingTls() : undefined;

/**
 * `kubectl apply --dry-run=client` against the API server stand-in: kubectl needs a
 * server even for a client-side dry run (discovery maps kinds to resources, and it GETs
 * each object to compute the patch); --validate=false as the stand-in serves no OpenAPI.
 */
async function kubectlDryRunApply(yaml: string, serving: ServingTls): Promise<string[]> {
  const server = await FakeApiServer.start([...Object.values(FAKE_KINDS), ...INSTALL_KINDS], serving);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-kubectl-'));
  try {
    const kubeconfig = path.join(dir, 'config');
    fs.writeFileSync(kubeconfig, server.kubeConfigYaml());
    // Asynchronous: the stand-in runs in this process and must answer while kubectl waits.
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, 'apply', '--dry-run=client', '--validate=false', '-f', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.stdin.end(yaml);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`kubectl apply --dry-run=client failed (${code}): ${stderr}`);
    return stdout.trim().split('\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await server.close();
  }
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

  test('the injector selects labelled namespaces, or pods asking outside them, and calls the control plane', () => {
    const webhooks = objects.find((o) => o.kind === 'MutatingWebhookConfiguration')!['webhooks'] as Record<string, unknown>[];
    expect(webhooks.map((w) => [w['namespaceSelector'], w['objectSelector']])).toEqual([
      [{ matchLabels: { 'trellis-injection': 'enabled' } }, { matchExpressions: [{ key: 'sidecar.trellis.dev/inject', operator: 'NotIn', values: ['false'] }] }],
      [{ matchExpressions: [{ key: 'trellis-injection', operator: 'DoesNotExist' }] }, { matchLabels: { 'sidecar.trellis.dev/inject': 'true' } }],
    ]);
    for (const webhook of webhooks) {
      // Safe to call again (an injected pod gets an empty patch), so reinvocation is allowed; a pod without its proxy is never admitted.
      expect(webhook).toMatchObject({
        admissionReviewVersions: ['v1'], sideEffects: 'None', failurePolicy: 'Fail', reinvocationPolicy: 'IfNeeded', timeoutSeconds: 10,
        clientConfig: { service: { name: 'trellis-control-plane', namespace: 'trellis-system', path: INJECT_PATH, port: 443 } },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
      });
    }
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

  (tls ? test : test.skip)('passes kubectl apply --dry-run=client', async () => {
    const applied = await kubectlDryRunApply(renderInstall(), tls!);
    expect(applied).toHaveLength(objects.length);
    expect(applied.every((line) => line.endsWith('created (dry run)'))).toBe(true);
  });

  (tls ? test : test.skip)('(the kubectl check fails on a kind the cluster does not serve)', async () => {
    await expect(kubectlDryRunApply('apiVersion: example.com/v1\nkind: Gadget\nmetadata: { name: x }\n', tls!)).rejects.toThrow(/Gadget/);
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
