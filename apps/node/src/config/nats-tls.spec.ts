import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCa, TlsFiles } from '../../test/support/test-ca';
import { ConfigError, loadNodeConfig } from './environment';

/** A valid environment of the province's node (it needs the fewest other variables), with the overrides given. */
function env(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    NODE_CODE: '330000',
    DATABASE_URL: 'postgres://tdx@db.internal:5432/tdx_zhejiang',
    NATS_URL: 'tls://127.0.0.1:4222',
    PORT: '3100',
    ...overrides,
  };
}

function tlsEnv(files: Partial<TlsFiles>): Record<string, string | undefined> {
  return env({ NATS_TLS_CA_FILE: files.caFile, NATS_TLS_CERT_FILE: files.certFile, NATS_TLS_KEY_FILE: files.keyFile });
}

function problems(environment: Record<string, string | undefined>): string[] {
  try {
    loadNodeConfig(environment);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('the configuration was accepted');
}

describe('NATS_TLS_CA_FILE, NATS_TLS_CERT_FILE, NATS_TLS_KEY_FILE', () => {
  let dir: string;
  let node: TlsFiles;
  let other: TlsFiles;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tdx-nats-tls-spec-'));
    node = TestCa.create(join(dir, 'ca'), 'spec CA').issue('node 330106', 'client', join(dir, 'node'));
    other = TestCa.create(join(dir, 'other-ca'), 'other CA').issue('someone else', 'client', join(dir, 'other'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes a CA, a client certificate and its key, keeping only their paths', () => {
    expect(loadNodeConfig(tlsEnv(node)).natsTls).toEqual(node);
  });

  it('takes the CA alone (a server that does not ask for client certificates)', () => {
    expect(loadNodeConfig(tlsEnv({ caFile: node.caFile })).natsTls).toEqual({ caFile: node.caFile });
  });

  it('is optional: unset or empty, the client keeps its defaults', () => {
    expect(loadNodeConfig(env()).natsTls).toBeNull();
    expect(loadNodeConfig(tlsEnv({ caFile: '', certFile: '', keyFile: '' })).natsTls).toBeNull();
  });

  it('wants the certificate and the key together, and the key of that certificate', () => {
    expect(problems(tlsEnv({ caFile: node.caFile, certFile: node.certFile }))).toEqual([
      'NATS_TLS_KEY_FILE: NATS_TLS_CERT_FILE and NATS_TLS_KEY_FILE go together (set both or neither)',
    ]);
    expect(problems(tlsEnv({ keyFile: node.keyFile }))).toEqual([
      'NATS_TLS_CERT_FILE: NATS_TLS_CERT_FILE and NATS_TLS_KEY_FILE go together (set both or neither)',
    ]);
    expect(problems(tlsEnv({ ...node, keyFile: other.keyFile }))).toEqual([
      'NATS_TLS_KEY_FILE: is not the private key of the certificate in NATS_TLS_CERT_FILE',
    ]);
  });

  it('names every bad file with the other bad variables, never its path or content', () => {
    const shared = join(dir, 'shared-key.pem');
    copyFileSync(node.keyFile, shared);
    chmodSync(shared, 0o640);
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'not a certificate', { mode: 0o600 });

    const found = problems(tlsEnv({ caFile: join(dir, 'missing.pem'), certFile: garbage, keyFile: shared }));
    expect(found).toEqual([
      'NATS_TLS_CA_FILE: cannot be read or holds no PEM certificate',
      'NATS_TLS_CERT_FILE: cannot be read or holds no PEM certificate',
      'NATS_TLS_KEY_FILE: must be readable by its owner only (chmod 600)',
    ]);
    // A certificate where the key belongs, a key where a certificate belongs, with another bad variable.
    const certAsKey = join(dir, 'cert-as-key.pem');
    copyFileSync(node.certFile, certAsKey);
    chmodSync(certAsKey, 0o600);
    const swapped = problems({ ...tlsEnv({ caFile: node.keyFile, certFile: node.certFile, keyFile: certAsKey }), PORT: 'x' });
    expect(swapped.map((p) => /^[A-Z_]+/.exec(p)?.[0]).sort()).toEqual(['NATS_TLS_CA_FILE', 'NATS_TLS_KEY_FILE', 'PORT']);
    expect(swapped).toContain('NATS_TLS_KEY_FILE: holds no PEM private key');

    const text = [...found, ...swapped].join('\n');
    expect(text).not.toContain(dir);
    expect(text).not.toContain(readFileSync(node.keyFile, 'utf8').split('\n')[1]);
  });
});
