// The loopback-only test certificate the HTTPS fakes serve (see tls/README.md), found whether the fake runs from
// its sources (ts-jest) or from dist/ (compiled: the PEM files are not copied there).
import * as fs from 'fs';
import * as path from 'path';

export interface LoopbackCertificate {
  /** Path of the PEM certificate, for clients that trust it by file (a CA file setting). */
  certificateFile: string;
  /** PEM certificate, for clients that trust it in memory (an https.Agent's `ca`). */
  certificate: string;
  /** PEM private key for the server. */
  key: string;
}

export function loadLoopbackCertificate(): LoopbackCertificate {
  const candidates = [
    path.join(__dirname, 'tls'),
    path.join(__dirname, '..', '..', '..', 'runtime', 'fakes', 'tls'),
  ];
  const dir = candidates.find((d) => fs.existsSync(path.join(d, 'loopback.cert.pem')));
  if (!dir) throw new Error(`The loopback test certificate is missing (looked in ${candidates.join(', ')}).`);
  const certificateFile = path.join(dir, 'loopback.cert.pem');
  return {
    certificateFile,
    certificate: fs.readFileSync(certificateFile, 'utf8'),
    key: fs.readFileSync(path.join(dir, 'loopback.key.pem'), 'utf8'),
  };
}
