import type { KubernetesObject } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { decodeDocument, emptyModel, openApiReferenceErrors, type FileDiagnostic, type LoadResult, type MeshModel, type Service } from '@trellis/control-plane';
import { podWorkloads, type EndpointSliceObject, type ObjectWithMeta, type PodObject } from './pod-workloads';
import {
  CONFIG_MAPS, ENDPOINT_SLICES, HTTP_ROUTES, NAMESPACES, objectPath, PODS, POLICIES, SERVICE_ACCOUNTS, SERVICES, WAF_POLICIES, WORKLOAD_ENTRIES, type WatchedResource,
} from './resources';

/** What the informers hold now, kind by kind. */
export type ClusterObjects = (resource: WatchedResource) => readonly KubernetesObject[];

interface Decoded {
  collection: keyof MeshModel;
  value: unknown;
  label: string;
}

/** The kinds that decode one object into one model entry, through the same decoders as files. */
const DECODED_KINDS = [SERVICES, WORKLOAD_ENTRIES, WAF_POLICIES, CONFIG_MAPS, HTTP_ROUTES, ...POLICIES];

function byPath(resource: WatchedResource, objects: readonly KubernetesObject[]): [string, KubernetesObject][] {
  return objects
    .map((object): [string, KubernetesObject] => [objectPath(resource, object.metadata?.namespace, object.metadata?.name ?? ''), object])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Builds the mesh model from the cluster's objects. Like FileSource, an object that
 * stops decoding (an edit the mesh cannot use) keeps its last good version in force,
 * with a warning, until it is fixed or deleted.
 */
export class MeshModelBuilder {
  private lastGood = new Map<string, Decoded>();

  build(objects: ClusterObjects): LoadResult {
    const model = emptyModel();
    const diagnostics: FileDiagnostic[] = [];
    const good = new Map<string, Decoded>();
    for (const resource of DECODED_KINDS) {
      for (const [path, object] of byPath(resource, objects(resource))) {
        // List items of built-in kinds come without apiVersion and kind; watch events carry them.
        const decoded = decodeDocument({ ...object, apiVersion: resource.apiVersion, kind: resource.kind });
        if ('unknownKind' in decoded) throw new Error(`${resource.apiVersion} ${resource.kind} is watched but not a kind the mesh decodes`);
        const { result, collection } = decoded;
        const label = `${resource.kind} ${object.metadata?.namespace}/${object.metadata?.name}`;
        for (const w of result.warnings) diagnostics.push({ ...w, file: path, line: 0, severity: 'warning' });
        for (const e of result.errors) diagnostics.push({ ...e, file: path, line: 0, severity: 'error' });
        const entry = result.value !== undefined ? { collection, value: result.value, label } : this.lastGood.get(path);
        if (result.value === undefined && entry) {
          diagnostics.push({ file: path, line: 0, severity: 'warning', object: label, field: '(object)', message: 'keeping the last valid version until this one is fixed' });
        }
        if (!entry) continue;
        good.set(path, entry);
        (model[entry.collection] as unknown[]).push(entry.value);
      }
    }
    this.lastGood = good;
    for (const { policy, error } of openApiReferenceErrors(model)) {
      diagnostics.push({ ...error, file: objectPath(WAF_POLICIES, policy.namespace, policy.name), line: 0, severity: 'error' });
    }
    model.workloads.push(...podWorkloads({
      pods: objects(PODS) as PodObject[],
      services: model.services as Service[],
      namespaces: objects(NAMESPACES) as ObjectWithMeta[],
      serviceAccounts: objects(SERVICE_ACCOUNTS) as ObjectWithMeta[],
      endpointSlices: objects(ENDPOINT_SLICES) as EndpointSliceObject[],
    }, diagnostics));
    return { model, diagnostics };
  }
}
