import { ControlPlane, CONTROL_PLANE_IDENTITY, spiffeId, type OutboundTrafficPolicy } from '@trellis/control-plane';
import { logLine, untilStopped } from '../output';

export interface ControlPlaneCommand {
  /** A directory of YAML, or… */
  configDir?: string;
  /** …a cluster to watch (its CA in a Secret, proxies known by their ServiceAccount tokens), optionally serving the injector webhook. */
  kubernetes?: { kubeconfig?: string; webhook?: string };
  stateDir: string;
  xds: string;
  ca: string;
  admin: string;
  trustDomain: string;
  defaultMtls: 'STRICT' | 'PERMISSIVE';
  /** Default ALLOW_ANY (the control plane's). */
  outboundTrafficPolicy?: OutboundTrafficPolicy;
}

/** The namespace the control plane runs in (the downward API sets POD_NAMESPACE), where its CA Secret and Service are. */
const controlPlaneNamespace = () => process.env['POD_NAMESPACE'] || CONTROL_PLANE_IDENTITY.namespace;

export async function startControlPlane(options: ControlPlaneCommand, log = logLine('control-plane')): Promise<ControlPlane> {
  const cp = new ControlPlane({
    ...(options.configDir ? { configDir: options.configDir } : {}),
    ...(options.kubernetes ? await kubePlugins(options.kubernetes.kubeconfig, options.trustDomain, log) : {}),
    stateDir: options.stateDir,
    xdsAddress: options.xds,
    caAddress: options.ca,
    adminAddress: options.admin,
    trustDomain: options.trustDomain,
    defaultMtls: options.defaultMtls,
    ...(options.outboundTrafficPolicy ? { outboundTrafficPolicy: options.outboundTrafficPolicy } : {}),
    log,
  });
  await cp.start();
  return cp;
}

/** Loaded only when asked for: the Kubernetes client library is large. */
async function kubePlugins(kubeconfig: string | undefined, trustDomain: string, log: ReturnType<typeof logLine>) {
  const kube = await import('@trellis/kube');
  const kubeConfig = kube.kubeConfigFrom(kubeconfig);
  return {
    source: new kube.KubeSource({ kubeConfig }),
    caStore: new kube.SecretCaStore({ kubeConfig, namespace: controlPlaneNamespace(), trustDomain, log }),
    authenticator: new kube.TokenReviewAuthenticator({ kubeConfig, trustDomain }),
  };
}

/** The injector webhook beside a cluster's control plane, on the mesh CA; pods reach the control plane through its Service. */
async function startWebhook(cp: ControlPlane, options: ControlPlaneCommand & { kubernetes: { webhook: string } }, log = logLine('injector')) {
  const kube = await import('@trellis/kube');
  const service = `trellis-control-plane.${controlPlaneNamespace()}.svc`;
  const port = (address: string) => address.slice(address.lastIndexOf(':') + 1);
  const webhook = new kube.InjectionWebhook({
    kubeConfig: kube.kubeConfigFrom(options.kubernetes.kubeconfig),
    ca: cp.certificateAuthority,
    dnsNames: [service],
    address: options.kubernetes.webhook,
    settings: {
      proxyImage: process.env['TRELLIS_PROXY_IMAGE'] || 'ghcr.io/trellis-mesh/proxy:latest',
      trustDomain: options.trustDomain,
      // The ports bound, which the Service maps one to one (control-plane.yaml).
      xdsAddress: `${service}:${port(cp.addresses.xds)}`,
      caAddress: `${service}:${port(cp.addresses.ca)}`,
      controlPlaneId: spiffeId(options.trustDomain, CONTROL_PLANE_IDENTITY.namespace, CONTROL_PLANE_IDENTITY.serviceAccount),
      tokenAudience: kube.CA_TOKEN_AUDIENCE,
    },
    log,
  });
  await webhook.start();
  return webhook;
}

export async function runControlPlane(options: ControlPlaneCommand): Promise<void> {
  const cp = await startControlPlane(options);
  const webhookAddress = options.kubernetes?.webhook;
  const webhook = webhookAddress ? await startWebhook(cp, { ...options, kubernetes: { ...options.kubernetes, webhook: webhookAddress } }) : undefined;
  await untilStopped();
  await webhook?.stop();
  await cp.stop();
}
