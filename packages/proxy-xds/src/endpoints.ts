import type { ClusterLoadAssignment, FieldChecker } from '@trellis/xds';
import { rejectUnsupported } from './supported';

/** `assignment` must be the message as sent (decoded without defaults). */
export function translateEndpoints(check: FieldChecker, assignment: ClusterLoadAssignment, at = '') {
  rejectUnsupported(check, assignment, ['cluster_name', 'endpoints'], at);
  const prefix = at ? `${at}.` : '';
  return {
    clusterName: assignment.cluster_name,
    endpoints: (assignment.endpoints ?? []).flatMap((locality, l) => {
      rejectUnsupported(check, locality, ['locality', 'lb_endpoints', 'load_balancing_weight'], `${prefix}endpoints[${l}]`);
      return (locality.lb_endpoints ?? []).map((e) => {
        const socket = e.endpoint!.address!.socket_address!;
        return { address: socket.address, port: socket.port_value, weight: e.load_balancing_weight?.value ?? 1, healthStatus: e.health_status || 'HEALTHY' };
      });
    }),
  };
}
