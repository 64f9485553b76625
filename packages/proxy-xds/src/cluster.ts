import { FieldChecker, unpackAny, type AnyMessage, type Cluster } from '@trellis/xds';
import { translateEndpoints } from './endpoints';
import { durationMs, rejectUnsupported } from './supported';
import { upstreamTls } from './tls';

const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

interface Thresholds { max_connections?: { value: number }; max_pending_requests?: { value: number }; max_requests?: { value: number }; max_retries?: { value: number } }

function speaksHttp2(check: FieldChecker, options: Record<string, AnyMessage> | undefined): boolean {
  const protocol = options?.[HTTP_PROTOCOL_OPTIONS];
  if (!protocol) return false;
  const decoded = unpackAny<{ explicit_http_config?: { http2_protocol_options?: object; http_protocol_options?: object } }>(protocol, { defaults: false });
  rejectUnsupported(check, decoded, ['explicit_http_config', 'upstream_protocol_options'], `typed_extension_protocol_options["${HTTP_PROTOCOL_OPTIONS}"]`);
  return !!decoded.explicit_http_config?.http2_protocol_options;
}

/**
 * `cluster` must be the message as sent (decoded without defaults). The EDS name it
 * asks for comes back beside the config: the proxy keys endpoints by cluster name.
 */
export function translateCluster(check: FieldChecker, cluster: Cluster) {
  const edsServiceName = cluster.type === 'EDS' ? cluster.eds_cluster_config?.service_name || cluster.name : undefined;
  return { config: clusterConfig(check, cluster), ...(edsServiceName ? { edsServiceName } : {}) };
}

/**
 * Envoy's passthrough cluster: each connection goes to its original destination. Its hosts
 * live as long as their connection, so `cleanup_interval` has nothing to clean and is taken;
 * what would pick another upstream (original_dst_lb_config) or eject hosts is NACKed.
 */
function checkOriginalDst(check: FieldChecker, cluster: Cluster, lbPolicy: string): void {
  check.require(lbPolicy === 'CLUSTER_PROVIDED', 'lb_policy', `${lbPolicy} is not valid for an ORIGINAL_DST cluster: only CLUSTER_PROVIDED is`);
  check.require(!cluster['original_dst_lb_config'], 'original_dst_lb_config',
    'is not supported: the upstream is always the connection\'s original destination (no HTTP header, metadata or port override)');
  check.require(!cluster['outlier_detection'], 'outlier_detection', 'is not supported on an ORIGINAL_DST cluster: its hosts last one connection each, there is nothing to eject');
}

function clusterConfig(check: FieldChecker, cluster: Cluster) {
  rejectUnsupported(check, cluster, [
    'name', 'type', 'cluster_discovery_type', 'eds_cluster_config', 'load_assignment', 'lb_policy', 'connect_timeout', 'transport_socket',
    'typed_extension_protocol_options', 'circuit_breakers', 'outlier_detection', 'original_dst_lb_config', 'cleanup_interval',
  ], '');
  const lbPolicy = cluster.lb_policy ?? 'ROUND_ROBIN';
  const type = cluster.type ?? 'STATIC';
  check.require(['EDS', 'STATIC', 'ORIGINAL_DST'].includes(type), 'type', `${type} clusters are not supported`);
  if (type === 'ORIGINAL_DST') checkOriginalDst(check, cluster, lbPolicy);
  else {
    check.require(['ROUND_ROBIN', 'LEAST_REQUEST', 'RING_HASH'].includes(lbPolicy), 'lb_policy', `${lbPolicy} is not supported`);
    for (const field of ['original_dst_lb_config', 'cleanup_interval']) check.require(!cluster[field], field, `applies to ORIGINAL_DST clusters, not ${type}`);
  }
  const thresholds = ((cluster['circuit_breakers'] as { thresholds?: Thresholds[] } | undefined)?.thresholds ?? [])[0];
  const outlier = cluster['outlier_detection'] as { consecutive_5xx?: { value: number }; interval?: object; base_ejection_time?: object; max_ejection_percent?: { value: number } } | undefined;
  return {
    name: cluster.name,
    type,
    lbPolicy,
    connectTimeoutMs: durationMs(cluster.connect_timeout) ?? 5000,
    http2: speaksHttp2(check, cluster['typed_extension_protocol_options'] as Record<string, AnyMessage> | undefined),
    ...(thresholds ? {
      circuitBreakers: {
        maxConnections: thresholds.max_connections?.value ?? 1024,
        maxPendingRequests: thresholds.max_pending_requests?.value ?? 1024,
        maxRequests: thresholds.max_requests?.value ?? 1024,
        maxRetries: thresholds.max_retries?.value ?? 3,
      },
    } : {}),
    ...(outlier ? {
      outlierDetection: {
        consecutive5xx: outlier.consecutive_5xx?.value ?? 5,
        intervalMs: durationMs(outlier.interval as never) ?? 10_000,
        baseEjectionTimeMs: durationMs(outlier.base_ejection_time as never) ?? 30_000,
        maxEjectionPercent: outlier.max_ejection_percent?.value ?? 10,
      },
    } : {}),
    ...(cluster.transport_socket ? { tls: upstreamTls(check, cluster.transport_socket, 'transport_socket') } : {}),
    ...(cluster.load_assignment ? { loadAssignment: translateEndpoints(check, cluster.load_assignment, 'load_assignment') } : {}),
  };
}
