/** Where Debian's `modsecurity-crs` package puts the Core Rule Set and its setup. */
export const DEBIAN_CRS = {
  /** Includes crs-setup.conf, the exclusion files and rules/*.conf, in ModSecurity's order. */
  loadFile: '/usr/share/modsecurity-crs/owasp-crs.load',
  rulesDir: '/usr/share/modsecurity-crs/rules',
  setupFile: '/etc/modsecurity/crs/crs-setup.conf',
} as const;

export interface CrsOptions {
  /** 1 (default) to 4. */
  paranoiaLevel?: number;
  /** The file that Includes the CRS (default: Debian's owasp-crs.load). */
  loadFile?: string;
  /** Directives placed before the CRS (after the engine settings). */
  before?: string;
  /** Directives placed after the CRS. */
  after?: string;
}

/**
 * The configuration the nginx reference runs: the engine on, request bodies inspected, the
 * CRS setup with default anomaly scoring, then the rules.
 */
export function crsDirectives(options: CrsOptions = {}): string {
  const lines = ['SecRuleEngine On', 'SecRequestBodyAccess On'];
  const pl = options.paranoiaLevel ?? 1;
  if (!Number.isInteger(pl) || pl < 1 || pl > 4) throw new Error(`paranoiaLevel must be 1..4, got ${pl}`);
  if (pl !== 1) lines.push(`SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=${pl}"`);
  if (options.before) lines.push(options.before);
  lines.push(`Include ${options.loadFile ?? DEBIAN_CRS.loadFile}`);
  if (options.after) lines.push(options.after);
  return lines.join('\n') + '\n';
}
