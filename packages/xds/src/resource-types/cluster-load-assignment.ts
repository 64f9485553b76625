import { TypeUrl } from '../type-urls';
import { defineResourceType, FieldChecker } from './check';
import type { ClusterLoadAssignment } from './envoy-types';

export function checkLoadAssignment(check: FieldChecker, assignment: ClusterLoadAssignment, prefix = ''): void {
  assignment.endpoints.forEach((locality, l) => {
    locality.lb_endpoints.forEach((lbEndpoint, e) => {
      const at = `${prefix}endpoints[${l}].lb_endpoints[${e}]`;
      const socket = lbEndpoint.endpoint?.address?.socket_address;
      check.require(socket?.address, `${at}.endpoint.address.socket_address.address`, 'must not be empty');
      check.require(socket!.port_value > 0, `${at}.endpoint.address.socket_address.port_value`, 'must be 1-65535');
      check.port(socket!.port_value, `${at}.endpoint.address.socket_address.port_value`);
      const weight = lbEndpoint.load_balancing_weight?.value;
      check.require(weight === undefined || weight >= 1, `${at}.load_balancing_weight`, 'must be at least 1');
    });
  });
}

export const clusterLoadAssignmentResourceType = defineResourceType<ClusterLoadAssignment>(TypeUrl.ClusterLoadAssignment, 'cluster_name', (assignment, check) => {
  checkLoadAssignment(check, assignment);
  return assignment;
});
