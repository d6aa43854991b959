// Fetches the identity provider's JSON documents (OpenID metadata, JWKS) over HTTPS. A trusted certificate (a local
// fake of Entra ID in tests) is scoped to these requests' own agent, never process-wide.
import * as https from 'https';
import type { JsonFetcher } from './openIdKeySet';

const maxBodyBytes = 1024 * 1024;

export function httpsJsonFetcher(
  options: { trustedCertificate?: string; timeoutMs?: number } = {},
): JsonFetcher {
  const agent = new https.Agent({
    keepAlive: true,
    ...(options.trustedCertificate ? { ca: options.trustedCertificate } : {}),
  });
  const timeoutMs = options.timeoutMs ?? 10_000;
  return (url) =>
    new Promise<unknown>((resolve, reject) => {
      const request = https.get(
        url,
        { agent, headers: { accept: 'application/json' }, timeout: timeoutMs },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBodyBytes)
              request.destroy(new Error(`${url} answered more than ${maxBodyBytes} bytes`));
            else chunks.push(chunk);
          });
          response.on('end', () => {
            if (response.statusCode !== 200) {
              reject(new Error(`${url} answered HTTP ${response.statusCode}`));
              return;
            }
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
            } catch {
              reject(new Error(`${url} did not answer JSON`));
            }
          });
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new Error(`${url} did not answer within ${timeoutMs} ms`)));
      request.on('error', reject);
    });
}
