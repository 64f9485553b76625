import type { KubeConfig } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { requestJson } from '../source/api-client';
import { ResourceInformer } from '../source/resource-informer';
import { NAMESPACES } from '../source/resources';

type Labels = Record<string, string>;

/**
 * Namespace labels for admission from a list/watch of Namespaces, so creating a pod does
 * not cost an API request (a rollout of a hundred pods was a hundred GETs). A namespace
 * the cache does not hold yet (created a moment ago, or before the first list) is read
 * directly. A label changed a moment before a pod is created may be seen late, as with
 * any informer.
 */
export class NamespaceLabels {
  private readonly informer: ResourceInformer;

  constructor(private readonly kubeConfig: KubeConfig) {
    this.informer = new ResourceInformer(NAMESPACES, kubeConfig, () => undefined);
  }

  start(): void {
    this.informer.start();
  }

  stop(): void {
    this.informer.stop();
  }

  async of(namespace: string): Promise<Labels> {
    const object = this.informer.object(namespace) ?? await requestJson(this.kubeConfig, 'GET', `/api/v1/namespaces/${namespace}`) as { metadata?: { labels?: Labels } };
    return object.metadata?.labels ?? {};
  }
}
