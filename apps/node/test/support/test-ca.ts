import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const OPENSSL_BIN = process.env.TDX_OPENSSL ?? '/usr/bin/openssl';

/** A certificate and its private key (mode 0600), as the NATS_TLS_* variables and deploy/nats name them. */
export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/**
 * A certificate authority made by a test with openssl, the way docs/operator-guide.md tells an
 * operator to make the federation's: an EC P-256 CA, server certificates for 127.0.0.1 and
 * localhost, client certificates for nodes and leaf links.
 */
export class TestCa {
  readonly caFile: string;
  private readonly caKeyFile: string;

  private constructor(dir: string) {
    this.caFile = join(dir, 'ca.pem');
    this.caKeyFile = join(dir, 'ca-key.pem');
  }

  static create(dir: string, name: string): TestCa {
    mkdirSync(dir, { recursive: true });
    const ca = new TestCa(dir);
    openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      ca.caKeyFile,
      '-out',
      ca.caFile,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
    );
    return ca;
  }

  /** Issues `<prefix>-cert.pem` and `<prefix>-key.pem` for `name`, signed by this CA. */
  issue(name: string, use: 'server' | 'client', prefix: string): TlsFiles {
    const certFile = `${prefix}-cert.pem`;
    const keyFile = `${prefix}-key.pem`;
    const request = `${prefix}.csr`;
    const extensions = `${prefix}.ext`;
    mkdirSync(dirname(prefix), { recursive: true });
    writeFileSync(extensions, use === 'server' ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' : 'extendedKeyUsage=clientAuth\n');
    openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', request, '-subj', `/CN=${name}`);
    openssl('x509', '-req', '-in', request, '-CA', this.caFile, '-CAkey', this.caKeyFile, '-days', '2', '-extfile', extensions, '-out', certFile);
    chmodSync(keyFile, 0o600);
    rmSync(request);
    rmSync(extensions);
    return { caFile: this.caFile, certFile, keyFile };
  }
}

function openssl(...args: string[]): void {
  execFileSync(OPENSSL_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
