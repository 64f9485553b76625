import { unpackAny } from '../any';
import type { ResourceType } from '../client/resource-type';
import { TypeUrl } from '../type-urls';
import { FieldChecker } from './check';
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

export const clusterLoadAssignmentResourceType: ResourceType<ClusterLoadAssignment> = {
  typeUrl: TypeUrl.ClusterLoadAssignment,
  decode(any) {
    const assignment = unpackAny<ClusterLoadAssignment>(any);
    const check = new FieldChecker(`ClusterLoadAssignment "${assignment.cluster_name}"`);
    check.require(assignment.cluster_name, 'cluster_name', 'must not be empty');
    checkLoadAssignment(check, assignment);
    return { name: assignment.cluster_name, value: assignment };
  },
};
