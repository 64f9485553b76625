import type { ResourceType } from '../client/resource-type';
import { clusterResourceType } from './cluster';
import { clusterLoadAssignmentResourceType } from './cluster-load-assignment';
import { listenerResourceType } from './listener';
import { routeConfigurationResourceType } from './route-configuration';
import { secretResourceType } from './secret';

export { clusterResourceType, clusterLoadAssignmentResourceType, listenerResourceType, routeConfigurationResourceType, secretResourceType };
export { HTTP_CONNECTION_MANAGER_TYPE, type ValidatedListener } from './listener';
export { FieldChecker } from './check';
export { inlinePem } from './secret';
export type * from './envoy-types';

/** The validators for the five resource types a sidecar subscribes to. */
export const ENVOY_RESOURCE_TYPES: ResourceType<unknown>[] = [
  secretResourceType, clusterResourceType, clusterLoadAssignmentResourceType, listenerResourceType, routeConfigurationResourceType,
];
