import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';

/** PEM files for the node's TLS connection to its nats-server; each may be absent. */
export interface NatsTlsFiles {
  /** The federation's CA: the server's certificate must chain to it (instead of the system's CAs). */
  caFile?: string;
  /** The node's client certificate and its key, for a server that verifies clients (deploy/nats). */
  certFile?: string;
  keyFile?: string;
}

type Env = Record<string, string | undefined>;

/**
 * NATS_TLS_CA_FILE, NATS_TLS_CERT_FILE and NATS_TLS_KEY_FILE: each file must be readable and
 * hold what its name says, the key only by its owner (like the NKey seed), and the certificate
 * and key come together and belong together. Problems name the variable, never the path or the
 * content. The files are only checked here: the NATS client reads them again at every
 * (re)connect, so renewed certificates need no restart.
 */
export function loadNatsTlsConfig(env: Env): { config: NatsTlsFiles | null; problems: string[] } {
  const caFile = nonEmpty(env.NATS_TLS_CA_FILE);
  const certFile = nonEmpty(env.NATS_TLS_CERT_FILE);
  const keyFile = nonEmpty(env.NATS_TLS_KEY_FILE);
  const problems: string[] = [];

  if (caFile !== undefined && !readCertificate(caFile)) {
    problems.push('NATS_TLS_CA_FILE: cannot be read or holds no PEM certificate');
  }
  const cert = certFile === undefined ? undefined : readCertificate(certFile);
  if (certFile !== undefined && !cert) problems.push('NATS_TLS_CERT_FILE: cannot be read or holds no PEM certificate');
  const key = keyFile === undefined ? undefined : readPrivateKey(keyFile);
  if (typeof key === 'string') problems.push(`NATS_TLS_KEY_FILE: ${key}`);

  if ((certFile === undefined) !== (keyFile === undefined)) {
    problems.push(
      `${certFile === undefined ? 'NATS_TLS_CERT_FILE' : 'NATS_TLS_KEY_FILE'}: NATS_TLS_CERT_FILE and NATS_TLS_KEY_FILE go together (set both or neither)`,
    );
  } else if (cert && key && typeof key !== 'string' && !cert.checkPrivateKey(key)) {
    problems.push('NATS_TLS_KEY_FILE: is not the private key of the certificate in NATS_TLS_CERT_FILE');
  }

  if (caFile === undefined && certFile === undefined && keyFile === undefined) return { config: null, problems };
  return {
    config: {
      ...(caFile !== undefined ? { caFile } : {}),
      ...(certFile !== undefined ? { certFile } : {}),
      ...(keyFile !== undefined ? { keyFile } : {}),
    },
    problems,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** The first certificate of a PEM file (a CA file may hold several), or undefined. */
function readCertificate(file: string): X509Certificate | undefined {
  try {
    return new X509Certificate(readFileSync(file));
  } catch {
    return undefined;
  }
}

/** The key, or what is wrong with its file. */
function readPrivateKey(file: string): KeyObject | string {
  let mode: number;
  try {
    accessSync(file, constants.R_OK);
    mode = statSync(file).mode;
  } catch {
    return 'cannot be read';
  }
  if ((mode & 0o077) !== 0) return 'must be readable by its owner only (chmod 600)';
  try {
    return createPrivateKey(readFileSync(file));
  } catch {
    return 'holds no PEM private key';
  }
}
