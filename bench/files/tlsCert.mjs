// @ts-check
/**
 * The self-signed certificate the folder benchmarks' s3rver serves HTTPS with (for 127.0.0.1),
 * made once under `dir` (cert.pem, key.pem); the processes that talk to it trust it through
 * NODE_EXTRA_CA_CERTS.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @param {string} dir
 * @returns {string} the certificate's path
 */
export function makeCert(dir) {
  const cert = join(dir, 'cert.pem');
  if (existsSync(cert)) return cert;
  mkdirSync(dir, { recursive: true });
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '30',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return cert;
}
