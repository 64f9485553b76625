import { X509Certificate } from 'node:crypto';
import { fetchText } from './proxy-status';

interface DumpedSecret {
  name: string;
  tlsCertificate?: { certChainPem: string };
  validationContext?: { trustedCaPem: string };
}

function pemBlocks(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function describeCertificate(pem: string, now: Date): string[] {
  const cert = new X509Certificate(pem);
  const notAfter = new Date(cert.validTo);
  const seconds = Math.round((notAfter.getTime() - now.getTime()) / 1000);
  const left = seconds <= 0 ? 'EXPIRED' : seconds < 3600 ? `${Math.round(seconds / 60)} min left` : `${(seconds / 3600).toFixed(1)} h left`;
  const uri = /URI:([^,\s]+)/.exec(cert.subjectAltName ?? '')?.[1];
  return [
    uri ? `identity   ${uri}` : `subject    ${cert.subject.replace(/\n/g, ', ')}`,
    `issuer     ${cert.issuer.replace(/\n/g, ', ')}`,
    `valid      ${new Date(cert.validFrom).toISOString()} → ${notAfter.toISOString()} (${left})`,
    `serial     ${cert.serialNumber}${cert.ca ? '   (CA)' : ''}`,
  ];
}

/** The operator's view of a proxy's certificates: chain, SPIFFE ID, expiry; trust bundle roots. */
export function formatCertificates(secrets: DumpedSecret[], now = new Date()): string {
  const out: string[] = [];
  for (const secret of secrets) {
    if (secret.tlsCertificate) {
      out.push(`secret "${secret.name}": workload certificate chain`);
      pemBlocks(secret.tlsCertificate.certChainPem).forEach((pem, i) => out.push(...describeCertificate(pem, now).map((l) => `  ${i === 0 ? 'leaf' : `[${i}] `}  ${l}`)));
    }
    if (secret.validationContext) {
      const roots = pemBlocks(secret.validationContext.trustedCaPem);
      out.push(`secret "${secret.name}": trust bundle, ${roots.length} root${roots.length === 1 ? '' : 's'}`);
      roots.forEach((pem, i) => out.push(...describeCertificate(pem, now).map((l) => `  [${i}]   ${l}`)));
    }
  }
  return out.join('\n');
}

export async function proxyCertificates(adminAddress: string): Promise<string> {
  const dump = JSON.parse(await fetchText(`http://${adminAddress}/config_dump`)) as { secrets?: DumpedSecret[] };
  return formatCertificates(dump.secrets ?? []);
}
