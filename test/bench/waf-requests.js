'use strict';
// The benign requests both WAF benchmarks send, so their figures compare like with like.

const BROWSER_HEADERS = [
  ['Host', 'shop.example.com'],
  ['User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'],
  ['Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8'],
  ['Accept-Language', 'en-US,en;q=0.9'],
  ['Accept-Encoding', 'gzip, deflate, br'],
  ['Cookie', 'session=3f9a2c71b8e44d0c9e1f; theme=dark'],
  ['Connection', 'keep-alive'],
];

const BENIGN_GET_URI = '/products/list?category=shoes&page=2&sort=price';

/** An ordinary urlencoded form of about `bytes` bytes. */
function formBody(bytes) {
  const fields = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const field = `field${i}=${encodeURIComponent(`value number ${i} with some ordinary words in it`)}`;
    fields.push(field);
    size += field.length + 1;
  }
  return fields.join('&').slice(0, bytes);
}

module.exports = { BROWSER_HEADERS, BENIGN_GET_URI, formBody };
