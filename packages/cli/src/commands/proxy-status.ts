import * as http from 'node:http';

export function fetchText(url: string, method = 'GET'): Promise<string> {
  return new Promise((resolve, reject) => {
    http.request(url, { method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: HTTP ${res.statusCode}: ${body}`))));
    }).on('error', (error) => reject(new Error(`cannot reach the admin endpoint at ${url}: ${error.message}`))).end();
  });
}

export function postText(url: string): Promise<string> {
  return fetchText(url, 'POST');
}

export async function proxyStatusText(adminAddress: string): Promise<string> {
  return fetchText(`http://${adminAddress}/debug/proxy-status?format=text`);
}
