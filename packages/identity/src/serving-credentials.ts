// gRPC server credentials that follow a rotator: new connections get the newest certificate,
// open ones keep theirs. Uses grpc-js's certificate-provider hook (exported as experimental).
import * as grpc from '@grpc/grpc-js';
import { joinPem } from '@trellis/pki';
import { IssuedCredentials } from './credentials';
import { CertificateRotator } from './rotator';

type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;

class RotatorCertificateProvider implements grpc.experimental.CertificateProvider {
  private readonly listeners = new Map<IdentityListener, (c: IssuedCredentials) => void>();

  constructor(private readonly rotator: CertificateRotator) {}

  addIdentityCertificateListener(listener: IdentityListener): void {
    const forward = (c: IssuedCredentials) => listener({ certificate: Buffer.from(joinPem(c.chainPem)), privateKey: Buffer.from(c.keyPem) });
    this.listeners.set(listener, forward);
    this.rotator.on('update', forward);
    // Deliver the current certificate asynchronously: grpc-js registers its own watcher only
    // after adding this listener, so a synchronous update would be lost.
    queueMicrotask(() => {
      const current = this.rotator.current();
      if (current && this.listeners.get(listener) === forward) forward(current);
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    const forward = this.listeners.get(listener);
    if (forward) this.rotator.off('update', forward);
    this.listeners.delete(listener);
  }

  // Clients authenticate with bearer tokens, not certificates: no CA to verify them against.
  addCaCertificateListener(): void {}
  removeCaCertificateListener(): void {}
}

/** TLS server credentials for the certificate service, served from `rotator`'s certificate. */
export function rotatingServerCredentials(rotator: CertificateRotator): grpc.ServerCredentials {
  // grpc-js passes its first argument on as the identity provider (whatever the parameter name).
  return grpc.experimental.createCertificateProviderServerCredentials(new RotatorCertificateProvider(rotator), null, false);
}
