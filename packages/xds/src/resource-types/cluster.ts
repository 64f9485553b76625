import { TypeUrl } from '../type-urls';
import { defineResourceType } from './check';
import type { Cluster } from './envoy-types';
import { checkLoadAssignment } from './cluster-load-assignment';

export const clusterResourceType = defineResourceType<Cluster>(TypeUrl.Cluster, 'name', (cluster, check) => {
  check.require(cluster.cluster_discovery_type !== 'cluster_type', 'cluster_type', 'custom cluster types are not supported');
  if (cluster.type === 'EDS') {
    check.adsSource(cluster.eds_cluster_config?.eds_config, 'eds_cluster_config.eds_config');
  } else if (cluster.type === 'ORIGINAL_DST') {
    // Envoy's passthrough: each connection's original destination is its host; there is no list of them.
    check.require(!cluster.load_assignment, 'load_assignment', 'an ORIGINAL_DST cluster takes its hosts from the connections, not a list');
  } else {
    check.require(cluster.type === 'STATIC' || cluster.type === 'STRICT_DNS' || cluster.type === 'LOGICAL_DNS', 'type', `${cluster.type} clusters are not supported`);
    check.require(cluster.load_assignment, 'load_assignment', `a ${cluster.type} cluster needs its endpoints inline`);
    checkLoadAssignment(check, cluster.load_assignment!, 'load_assignment.');
  }
  return cluster;
});
