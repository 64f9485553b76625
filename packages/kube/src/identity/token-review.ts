import type { KubeConfig } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { AuthenticationError, AuthenticatorUnavailableError, formatWorkloadId, type Authenticator, type WorkloadIdentity } from '@trellis/control-plane';
import { ApiError, requestJson } from '../source/api-client';

/** The audience proxies request for the token they show the CA (a token for the API server is not accepted). */
export const CA_TOKEN_AUDIENCE = 'trellis-ca';
const POD_NAME = 'authentication.kubernetes.io/pod-name';
const POD_UID = 'authentication.kubernetes.io/pod-uid';
const SERVICE_ACCOUNT_USER = /^system:serviceaccount:([^:]+):([^:]+)$/;

export interface TokenReviewAuthenticatorOptions {
  kubeConfig: KubeConfig;
  trustDomain: string;
  /** Default `trellis-ca`. */
  audience?: string;
}

interface TokenReviewStatus {
  authenticated?: boolean;
  audiences?: string[];
  error?: string;
  user?: { username?: string; extra?: Record<string, string[]> };
}

interface PodObject {
  metadata?: { uid?: string };
  spec?: { serviceAccountName?: string };
}

/**
 * The CA's check of a proxy's projected ServiceAccount token: the API server reviews it for
 * our audience (TokenReview), and the identity issued is the ServiceAccount it names,
 * nothing the caller asks for. A token bound to a pod also needs that pod to exist and run
 * as that ServiceAccount. Refusals say which check failed; the token never appears in them.
 */
export class TokenReviewAuthenticator implements Authenticator {
  private readonly audience: string;

  constructor(private readonly options: TokenReviewAuthenticatorOptions) {
    this.audience = options.audience ?? CA_TOKEN_AUDIENCE;
  }

  async authenticate(token: string): Promise<WorkloadIdentity> {
    const status = await this.review(token);
    if (!status.authenticated) throw new AuthenticationError(`ServiceAccount token refused by the API server: ${status.error ?? 'not authenticated'}`);
    // An API server that ignores spec.audiences would accept any of the SA's tokens: insist on ours.
    if (!status.audiences?.includes(this.audience)) {
      throw new AuthenticationError(`ServiceAccount token is not for audience "${this.audience}" (the review answered audiences ${JSON.stringify(status.audiences ?? [])})`);
    }
    const username = status.user?.username ?? '';
    const match = SERVICE_ACCOUNT_USER.exec(username);
    if (!match) throw new AuthenticationError(`token of "${username}" is not a ServiceAccount token`);
    const [, namespace, serviceAccount] = match;
    const identity: WorkloadIdentity = { trustDomain: this.options.trustDomain, namespace, serviceAccount };
    const podName = status.user?.extra?.[POD_NAME]?.[0];
    if (podName) await this.checkPod(namespace, serviceAccount, podName, status.user?.extra?.[POD_UID]?.[0]);
    try {
      formatWorkloadId(identity);
    } catch (error) {
      throw new AuthenticationError(`ServiceAccount ${namespace}/${serviceAccount}: not a valid workload identity (${(error as Error).message})`);
    }
    return identity;
  }

  private async review(token: string): Promise<TokenReviewStatus> {
    const review = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: [this.audience] } };
    try {
      const answer = await requestJson(this.options.kubeConfig, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', { json: review }) as { status?: TokenReviewStatus };
      return answer.status ?? {};
    } catch (error) {
      // Not the caller's fault: the proxy is told UNAVAILABLE and retries.
      throw new AuthenticatorUnavailableError(`cannot review the token with the API server (${(error as Error).message})`);
    }
  }

  /** A pod-bound token speaks for its pod only while that pod exists and runs as the token's ServiceAccount. */
  private async checkPod(namespace: string, serviceAccount: string, name: string, uid: string | undefined): Promise<void> {
    let pod: PodObject;
    try {
      pod = await requestJson(this.options.kubeConfig, 'GET', `/api/v1/namespaces/${namespace}/pods/${encodeURIComponent(name)}`) as PodObject;
    } catch (error) {
      if (error instanceof ApiError && error.statusCode === 404) throw new AuthenticationError(`token is bound to pod ${namespace}/${name}, which no longer exists`);
      throw new AuthenticatorUnavailableError(`cannot read pod ${namespace}/${name} to check its token (${(error as Error).message})`);
    }
    if (uid && pod.metadata?.uid !== uid) throw new AuthenticationError(`token is bound to pod ${namespace}/${name} uid ${uid}, but that pod is now uid ${pod.metadata?.uid ?? '(none)'}`);
    const runsAs = pod.spec?.serviceAccountName ?? 'default';
    if (runsAs !== serviceAccount) throw new AuthenticationError(`token of ServiceAccount ${namespace}/${serviceAccount} is bound to pod ${namespace}/${name}, which runs as ${runsAs}`);
  }
}
