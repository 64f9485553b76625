import type * as ClientNode from '@kubernetes/client-node' with { 'resolution-mode': 'import' };

/**
 * @kubernetes/client-node is published as ES modules only. This package is CommonJS,
 * and Node (≥ 20.19, our floor) loads ES modules through require(), so it is loaded
 * here, once, with the library's own types.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const k8s = require('@kubernetes/client-node') as typeof ClientNode;

/**
 * Credentials for the API server: the pod's own ServiceAccount when running in a
 * cluster, else the given kubeconfig file, else kubectl's default.
 */
export function kubeConfigFrom(file?: string): ClientNode.KubeConfig {
  const config = new k8s.KubeConfig();
  if (file) config.loadFromFile(file);
  else if (process.env['KUBERNETES_SERVICE_HOST']) config.loadFromCluster();
  else config.loadFromDefault();
  return config;
}
