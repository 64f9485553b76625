import type { AnyMessage } from '../any';

/**
 * The cache interfaces, apart from any implementation (go-control-plane's split):
 * the stream servers only ask "tell me when this node's view of this type differs
 * from what it has"; how that view is computed (one snapshot per node, per-resource
 * versions, a mux of several caches) is the implementation's business.
 */

/** The identity a client presents in `DiscoveryRequest.node`. */
export interface NodeInfo {
  id: string;
  cluster: string;
  metadata: Record<string, unknown>;
  userAgentName?: string;
  userAgentVersion?: string;
}

/** One named, encoded resource with its content version. */
export interface Resource {
  name: string;
  typeUrl: string;
  any: AnyMessage;
  /** Content hash: equal versions mean identical bytes. */
  version: string;
}

/** `'*'` subscribes to every resource of the type (wildcard). */
export type Subscription = ReadonlySet<string> | '*';

export interface SotwWatchRequest {
  node: NodeInfo;
  typeUrl: string;
  subscription: Subscription;
  /** Type version of what the client holds ('' before its first ACK). */
  knownVersion: string;
  /** Per-resource versions the client holds, from the responses it ACKed: what need not be sent again. */
  knownResources: ReadonlyMap<string, string>;
  /** The type version the client NACKed last: never offered again. */
  rejectedVersion?: string;
}

export interface SotwResponse {
  typeUrl: string;
  version: string;
  /** The full set for LDS/CDS; for RDS/EDS/SDS, the subscribed ones that changed since the client's last ACK. */
  resources: Resource[];
}

export interface DeltaWatchRequest {
  node: NodeInfo;
  typeUrl: string;
  subscription: Subscription;
  /** What the client holds now: resource name → version. */
  knownResources: ReadonlyMap<string, string>;
  /** Resource versions the client NACKed: not offered again until they change. */
  rejectedResources?: ReadonlyMap<string, string>;
}

export interface DeltaResponse {
  typeUrl: string;
  systemVersion: string;
  resources: Resource[];
  removed: string[];
}

export type CancelWatch = () => void;

/** What the ADS stream servers need from a cache. */
export interface ConfigWatcher {
  /** Calls `respond` once, now or when the node's view changes; returns a canceller. */
  watchSotw(request: SotwWatchRequest, respond: (response: SotwResponse) => void): CancelWatch;
  watchDelta(request: DeltaWatchRequest, respond: (response: DeltaResponse) => void): CancelWatch;
}
