import { GrpcAgent } from '@trellis/sidecar';
import { logLine, untilStopped } from '../output';
import { workloadConnection } from './proxy';

export interface AgentCommand {
  /** `<workload>.<namespace>` */
  node: string;
  serviceAccount: string;
  /** The control plane's bootstrap.json. */
  bootstrap: string;
  /** Where the certificate files and grpc-bootstrap.json go. */
  dir: string;
  relayPort?: number;
}

export async function startAgent(options: AgentCommand): Promise<GrpcAgent> {
  const agent = new GrpcAgent({
    ...workloadConnection(options),
    dir: options.dir,
    ...(options.relayPort === undefined ? {} : { relayPort: options.relayPort }),
    log: logLine(`agent ${options.node}`),
  });
  await agent.start();
  return agent;
}

/** `trellis agent`: the pod-side helper of a proxyless gRPC workload, until stopped. */
export async function runAgent(options: AgentCommand): Promise<void> {
  const agent = await startAgent(options);
  console.log(`Start the gRPC app with GRPC_XDS_BOOTSTRAP=${agent.bootstrapFile} (and GRPC_XDS_EXPERIMENTAL_RBAC=true for its servers to enforce policies).`);
  await untilStopped();
  agent.stop();
}
