import type { NodeInfo } from '../cache/cache';
import type { NodeMessage } from '../discovery';
import { structToJson, type StructMessage } from '../struct';

export function nodeInfoFrom(node: NodeMessage): NodeInfo {
  return {
    id: node.id ?? '',
    cluster: node.cluster ?? '',
    metadata: structToJson(node.metadata as StructMessage | undefined),
    ...(node.user_agent_name ? { userAgentName: node.user_agent_name } : {}),
    ...(node.user_agent_version ? { userAgentVersion: node.user_agent_version } : {}),
  };
}
