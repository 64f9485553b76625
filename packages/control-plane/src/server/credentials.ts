import * as grpc from '@grpc/grpc-js';
import type { CertificateRotator } from '@trellis/identity';
import { joinPem } from '@trellis/pki';

type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;
type CaListener = grpc.experimental.CaCertificateUpdateListener;

/**
 * Serving credentials that follow the control plane's own rotating certificate and
 * require clients to present a certificate from the mesh's trust bundle: the xDS
 * endpoint only talks to workloads the mesh CA has identified.
 */
class MeshCertificateProvider implements grpc.experimental.CertificateProvider {
  private readonly forwards = new Map<IdentityListener | CaListener, () => void>();

  constructor(private readonly rotator: CertificateRotator) {}

  private follow(listener: IdentityListener | CaListener, deliver: () => void): void {
    this.forwards.set(listener, deliver);
    this.rotator.on('update', deliver);
    // grpc-js registers its own watcher right after adding a listener: deliver on the next tick.
    queueMicrotask(() => this.forwards.get(listener) === deliver && this.rotator.current() && deliver());
  }

  private unfollow(listener: IdentityListener | CaListener): void {
    const deliver = this.forwards.get(listener);
    if (deliver) this.rotator.off('update', deliver);
    this.forwards.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.follow(listener, () => {
      const c = this.rotator.current()!;
      listener({ certificate: Buffer.from(joinPem(c.chainPem)), privateKey: Buffer.from(c.keyPem) });
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.unfollow(listener);
  }

  addCaCertificateListener(listener: CaListener): void {
    this.follow(listener, () => listener({ caCertificate: Buffer.from(joinPem(this.rotator.current()!.bundlePem)) }));
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.unfollow(listener);
  }
}

export function mutualTlsServerCredentials(rotator: CertificateRotator): grpc.ServerCredentials {
  const provider = new MeshCertificateProvider(rotator);
  // grpc-js takes the identity provider first, whatever its parameter is called.
  return grpc.experimental.createCertificateProviderServerCredentials(provider, provider, true);
}
