import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDnsLabel } from '@trellis/objects';
import { parseAllDocuments, stringify } from 'yaml';

/** The manifests are the YAML under deploy/ (one source of truth); rendering only edits fields. */
const DEPLOY_DIR = path.resolve(__dirname, '../../../deploy');

/** In apply order: the namespace and CRDs before what lives in them, the webhook last (it needs the control plane up). */
const PIECES = [
  'kubernetes/namespace.yaml',
  'crds/authorizationpolicies.security.trellis.dev.yaml',
  'crds/peerauthentications.security.trellis.dev.yaml',
  'crds/workloadentries.networking.trellis.dev.yaml',
  'crds/wafpolicies.security.trellis.dev.yaml',
  'kubernetes/rbac.yaml',
  'kubernetes/control-plane.yaml',
  'kubernetes/sidecar-injector.yaml',
];

const MANIFEST_NAMESPACE = 'trellis-system';
const CONTROL_PLANE_DEPLOYMENT = 'trellis-control-plane';
const PROXY_IMAGE_ENV = 'TRELLIS_PROXY_IMAGE';

export interface InstallOptions {
  /** Where the control plane runs. */
  namespace: string;
  /** Registry and path the images are under: `<hub>/control-plane:<tag>`, `<hub>/proxy:<tag>`. */
  hub: string;
  tag: string;
  replicas: number;
}

export const DEFAULT_INSTALL_OPTIONS: InstallOptions = { namespace: MANIFEST_NAMESPACE, hub: 'ghcr.io/trellis-mesh', tag: 'latest', replicas: 2 };

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

function checkOptions(options: InstallOptions): void {
  if (!isDnsLabel(options.namespace)) throw new Error(`install option namespace: "${options.namespace}" is not a valid namespace name`);
  if (!/^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(options.hub)) {
    throw new Error(`install option hub: "${options.hub}" is not an image registry path`);
  }
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(options.tag)) throw new Error(`install option tag: "${options.tag}" is not an image tag`);
  if (!Number.isInteger(options.replicas) || options.replicas < 1) throw new Error(`install option replicas: ${options.replicas} must be a whole number ≥ 1`);
}

function loadPieces(): KubeObject[] {
  return PIECES.flatMap((piece) => {
    const file = path.join(DEPLOY_DIR, piece);
    return parseAllDocuments(fs.readFileSync(file, 'utf8')).map((document) => {
      if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]!.message}`);
      return document.toJS() as KubeObject;
    });
  });
}

/** Every place the manifests name the control plane's namespace. */
function moveToNamespace(object: KubeObject, namespace: string): void {
  if (object.kind === 'Namespace' && object.metadata.name === MANIFEST_NAMESPACE) object.metadata.name = namespace;
  if (object.metadata.namespace === MANIFEST_NAMESPACE) object.metadata.namespace = namespace;
  for (const subject of (object['subjects'] as { namespace?: string }[] | undefined) ?? []) {
    if (subject.namespace === MANIFEST_NAMESPACE) subject.namespace = namespace;
  }
  for (const webhook of (object['webhooks'] as { clientConfig?: { service?: { namespace?: string } } }[] | undefined) ?? []) {
    const service = webhook.clientConfig?.service;
    if (service?.namespace === MANIFEST_NAMESPACE) service.namespace = namespace;
  }
}

interface DeploymentSpec {
  replicas: number;
  template: { spec: { containers: { image: string; env?: { name: string; value?: string }[] }[] } };
}

function configureControlPlane(object: KubeObject, options: InstallOptions): void {
  if (object.kind !== 'Deployment' || object.metadata.name !== CONTROL_PLANE_DEPLOYMENT) return;
  const spec = object['spec'] as DeploymentSpec;
  spec.replicas = options.replicas;
  const [container] = spec.template.spec.containers;
  if (!container) throw new Error(`Deployment ${CONTROL_PLANE_DEPLOYMENT}: spec.template.spec.containers is empty`);
  container.image = `${options.hub}/control-plane:${options.tag}`;
  const proxyImage = container.env?.find((e) => e.name === PROXY_IMAGE_ENV);
  if (!proxyImage) throw new Error(`Deployment ${CONTROL_PLANE_DEPLOYMENT}: env ${PROXY_IMAGE_ENV} is missing`);
  proxyImage.value = `${options.hub}/proxy:${options.tag}`;
}

/** The objects of an install, in apply order. */
export function installObjects(overrides: Partial<InstallOptions> = {}): KubeObject[] {
  const options = { ...DEFAULT_INSTALL_OPTIONS, ...overrides };
  checkOptions(options);
  const objects = loadPieces();
  for (const object of objects) {
    moveToNamespace(object, options.namespace);
    configureControlPlane(object, options);
  }
  return objects;
}

function toYaml(objects: object[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}

/** The install manifest, for `kubectl apply -f -`. */
export function renderInstall(overrides: Partial<InstallOptions> = {}): string {
  return toYaml(installObjects(overrides));
}

export interface UninstallOptions extends Partial<InstallOptions> {
  /** Also delete the CRDs, and with them every policy and WorkloadEntry in the cluster. */
  purgeCrds?: boolean;
}

/**
 * What `kubectl delete -f -` removes, in reverse apply order: the webhook first, so pod
 * creation does not fail closed against a control plane that is going away. CRDs are
 * kept unless asked for, since deleting one deletes all its objects.
 */
export function renderUninstall(options: UninstallOptions = {}): string {
  const { purgeCrds = false, ...overrides } = options;
  const references = installObjects(overrides)
    .filter((o) => purgeCrds || o.kind !== 'CustomResourceDefinition')
    .reverse()
    .map(({ apiVersion, kind, metadata }) => ({ apiVersion, kind, metadata: { name: metadata.name, ...(metadata.namespace ? { namespace: metadata.namespace } : {}) } }));
  return toYaml(references);
}
