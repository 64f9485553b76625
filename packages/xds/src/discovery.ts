import type * as grpc from '@grpc/grpc-js';
import type * as protobuf from 'protobufjs';
import type { AnyMessage } from './any';
import { lookupType } from './protos';

/** `envoy.service.discovery.v3` messages as plain objects (proto field names). */

export interface NodeMessage {
  id?: string;
  cluster?: string;
  metadata?: Record<string, unknown>;
  user_agent_name?: string;
  user_agent_version?: string;
}

export interface StatusMessage {
  code?: number;
  message?: string;
}

export interface DiscoveryRequest {
  version_info?: string;
  node?: NodeMessage | null;
  resource_names?: string[];
  type_url?: string;
  response_nonce?: string;
  error_detail?: StatusMessage | null;
}

export interface DiscoveryResponse {
  version_info: string;
  resources: AnyMessage[];
  type_url: string;
  nonce: string;
  control_plane?: { identifier: string };
}

export interface DeltaDiscoveryRequest {
  node?: NodeMessage | null;
  type_url?: string;
  resource_names_subscribe?: string[];
  resource_names_unsubscribe?: string[];
  initial_resource_versions?: Record<string, string>;
  response_nonce?: string;
  error_detail?: StatusMessage | null;
}

export interface DeltaResource {
  name: string;
  version: string;
  resource: AnyMessage;
}

export interface DeltaDiscoveryResponse {
  system_version_info: string;
  resources: DeltaResource[];
  type_url: string;
  removed_resources: string[];
  nonce: string;
  control_plane?: { identifier: string };
}

const SERVICE = 'envoy.service.discovery.v3.AggregatedDiscoveryService';

/**
 * `plainEncode` skips protobufjs' fromObject conversion: safe for messages we build
 * ourselves with the right JS types and no enums (the responses), and it is most of
 * the per-stream cost of a push to a thousand proxies.
 */
function codec<T>(messageName: string, plainEncode = false): { serialize: (value: T) => Buffer; deserialize: (bytes: Buffer) => T } {
  const type = lookupType(messageName);
  return {
    serialize: (value) => Buffer.from(type.encode(plainEncode ? (value as protobuf.Message) : type.fromObject(value as Record<string, unknown>)).finish()),
    deserialize: (bytes) =>
      type.toObject(type.decode(bytes), { enums: String, longs: String, bytes: Buffer, defaults: true, arrays: true, objects: true, oneofs: true }) as T,
  };
}

let definition: grpc.ServiceDefinition | undefined;

/** The ADS service for @grpc/grpc-js, serialised with our protobufjs root. */
export function adsServiceDefinition(): grpc.ServiceDefinition {
  if (definition) return definition;
  const request = codec<DiscoveryRequest>('envoy.service.discovery.v3.DiscoveryRequest');
  const response = codec<DiscoveryResponse>('envoy.service.discovery.v3.DiscoveryResponse', true);
  const deltaRequest = codec<DeltaDiscoveryRequest>('envoy.service.discovery.v3.DeltaDiscoveryRequest');
  const deltaResponse = codec<DeltaDiscoveryResponse>('envoy.service.discovery.v3.DeltaDiscoveryResponse', true);
  definition = {
    StreamAggregatedResources: {
      path: `/${SERVICE}/StreamAggregatedResources`,
      requestStream: true,
      responseStream: true,
      requestSerialize: request.serialize,
      requestDeserialize: request.deserialize,
      responseSerialize: response.serialize,
      responseDeserialize: response.deserialize,
    },
    DeltaAggregatedResources: {
      path: `/${SERVICE}/DeltaAggregatedResources`,
      requestStream: true,
      responseStream: true,
      requestSerialize: deltaRequest.serialize,
      requestDeserialize: deltaRequest.deserialize,
      responseSerialize: deltaResponse.serialize,
      responseDeserialize: deltaResponse.deserialize,
    },
  };
  return definition;
}
