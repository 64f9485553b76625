/**
 * False positives: ordinary REST, JSON and form traffic, generated here, through the
 * OWASP CRS 3.3.4 at paranoia level 1 (the default) and the built-in profile must not
 * be blocked. Each request is what a shop or an API typically sends.
 */
import { existsSync } from 'node:fs';
import { DEBIAN_CRS, TRELLIS_DEFAULT_PROFILE, Waf, crsDirectives } from '../src';

interface BenignRequest {
  method: string;
  uri: string;
  headers: [string, string][];
  body?: string;
}

const BROWSER: [string, string][] = [
  ['host', 'shop.example.com'],
  ['user-agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36'],
  ['accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
  ['accept-language', 'en-GB,en;q=0.9,de;q=0.7'],
  ['accept-encoding', 'gzip, deflate, br'],
];
const API: [string, string][] = [['host', 'api.example.com'], ['user-agent', 'okhttp/4.12.0'], ['accept', 'application/json'], ['authorization', 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl']];

const words = ['red wool scarf', 'Hiking boots size 44', "Children's books", 'coffee & tea', 'USB-C cable 2m', 'garden chair (oak)', 'Café crème', 'tablet stand', '50% off sale', 'gift card'];
const names = ["O'Brien", 'Zoë Müller', 'Jean-Luc Picard', 'Ana María López', 'D\'Angelo'];

function corpus(): BenignRequest[] {
  const out: BenignRequest[] = [];
  words.forEach((w, i) => {
    out.push({ method: 'GET', uri: `/search?q=${encodeURIComponent(w)}&page=${i + 1}&sort=price_asc`, headers: BROWSER });
    out.push({ method: 'GET', uri: `/products/${1000 + i}/reviews?limit=20&offset=${i * 20}`, headers: API });
    out.push({ method: 'GET', uri: `/static/js/app.${i}a3f9c.min.js`, headers: BROWSER });
    out.push({
      method: 'POST', uri: '/api/v1/cart/items', headers: [...API, ['content-type', 'application/json']],
      body: JSON.stringify({ sku: `SKU-${i}-XL`, quantity: i + 1, note: `Please wrap "${w}" as a gift`, price: { amount: '19.99', currency: 'EUR' } }),
    });
    out.push({
      method: 'PUT', uri: `/api/v1/users/${i}/profile`, headers: [...API, ['content-type', 'application/json']],
      body: JSON.stringify({ name: names[i % names.length], email: `user${i}@example.org`, bio: 'I like long walks, good coffee and well-written code.', tags: ['reader', 'runner'] }),
    });
  });
  names.forEach((n, i) => {
    out.push({
      method: 'POST', uri: '/checkout/address', headers: [...BROWSER, ['content-type', 'application/x-www-form-urlencoded'], ['cookie', `session=abc${i}def; theme=dark`]],
      body: new URLSearchParams({ name: n, street: `${12 + i} Rue de l'Église`, city: 'Saint-Étienne', zip: '42000', phone: '+33 4 77 00 00 0' + i, comment: 'Leave it with the neighbour, please.' }).toString(),
    });
    out.push({ method: 'DELETE', uri: `/api/v1/cart/items/${i}`, headers: API });
    out.push({ method: 'GET', uri: `/account/orders?from=2026-01-01&to=2026-11-30&status=shipped`, headers: [...BROWSER, ['cookie', `session=abc${i}def`]] });
  });
  out.push({ method: 'OPTIONS', uri: '/api/v1/cart', headers: [...API, ['origin', 'https://shop.example.com'], ['access-control-request-method', 'POST']] });
  out.push({ method: 'HEAD', uri: '/health', headers: API });
  return out;
}

function blocked(waf: Waf, r: BenignRequest): string | null {
  const tx = waf.newTransaction({ clientIp: '10.1.2.3' });
  const early = tx.processRequestHeaders(r.method, r.uri, 'HTTP/1.1', r.headers);
  if (early) return `rule ${early.ruleId} (${tx.matchedRules.map((m) => m.id).join(',')})`;
  if (r.body) tx.appendRequestBody(Buffer.from(r.body));
  const late = tx.processRequestBody();
  return late ? `rule ${late.ruleId} (${tx.matchedRules.map((m) => `${m.id}:${m.msg}`).join('; ')})` : null;
}

const requests = corpus();

(existsSync(DEBIAN_CRS.loadFile) ? describe : describe.skip)('benign traffic through OWASP CRS 3.3.4 at paranoia level 1', () => {
  // CRS allows only GET HEAD POST OPTIONS until told otherwise (its crs-setup.conf rule
  // 900200); a REST API allows PUT, PATCH and DELETE there, as CRS's documentation says to.
  const restMethods = `SecAction "id:900200,phase:1,nolog,pass,t:none,setvar:'tx.allowed_methods=GET HEAD POST OPTIONS PUT PATCH DELETE'"`;
  const waf = existsSync(DEBIAN_CRS.loadFile) ? Waf.fromDirectives(crsDirectives({ paranoiaLevel: 1, before: restMethods })) : undefined;
  test(`none of ${requests.length} ordinary requests is blocked`, () => {
    const blocks = requests.map((r) => [`${r.method} ${r.uri}`, blocked(waf!, r)]).filter(([, b]) => b);
    expect(blocks).toEqual([]);
  });

  test('with CRS defaults, PUT and DELETE are refused by policy (rule 911100), as CRS documents', () => {
    const defaults = Waf.fromDirectives(crsDirectives({ paranoiaLevel: 1 }));
    expect(blocked(defaults, requests.find((r) => r.method === 'DELETE')!)).toMatch(/911100/);
  });
});

test('the built-in profile blocks none of them either', () => {
  const waf = Waf.fromDirectives(TRELLIS_DEFAULT_PROFILE);
  const blocks = requests.map((r) => [`${r.method} ${r.uri}`, blocked(waf, r)]).filter(([, b]) => b);
  expect(blocks).toEqual([]);
});
