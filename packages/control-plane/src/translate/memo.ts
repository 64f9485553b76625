import { makeResource, type Resource } from '@trellis/xds';

/**
 * Resources that come out the same for many proxies — a service's cluster and
 * endpoints, a namespace's route table — encoded once per push and shared by every
 * snapshot that contains them: a thousand proxies then cost a thousand references,
 * not a thousand encodings (and as many copies in memory).
 */
export class ResourceMemo {
  private readonly resources = new Map<string, Resource>();

  /** `scope` names what the resource depends on beyond its name (e.g. the caller's namespace). */
  get(typeUrl: string, name: string, build: () => object, scope = ''): Resource {
    const key = `${typeUrl}\u0000${scope}\u0000${name}`;
    let resource = this.resources.get(key);
    if (!resource) {
      resource = makeResource(typeUrl, { name, message: build() });
      this.resources.set(key, resource);
    }
    return resource;
  }
}
