import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { openEnvelope, publicKeyFromBase64url, sealRecord, verifyEnvelope, encodeEnvelope } from '@tdx/contracts';
import { nkeys } from '@nats-io/transport-node';
import { ConfigError, loadNodeConfig } from './environment';
import { readNkeySeed } from './nats-credentials';
import { loadOrCreateSigningKey } from './signing-key.store';

const SECRET = 's3cr3t-Pa55word';
/** Some province's public key (the anchor only has to be well formed here). */
const ANCHOR = 'l7mZ8hC2kGvG4zF1c9Q1nq2fA8cB3dE4fG5hI6jK7lM';

/** A valid environment of the Xihu county node. */
function env(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    NODE_CODE: '330106',
    PARENT_CODE: '330100',
    DATABASE_URL: `postgres://tdx:${SECRET}@db.internal:5432/tdx_xihu`,
    NATS_URL: 'nats://127.0.0.1:4222',
    PORT: '3106',
    TRUST_ANCHOR: ANCHOR,
    ...overrides,
  };
}

/** The ConfigError that loading `environment` throws (fails the test when it throws nothing or something else). */
function configError(environment: Record<string, string | undefined>): ConfigError {
  let thrown: unknown;
  try {
    loadNodeConfig(environment);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  return thrown as ConfigError;
}

/** The variables a ConfigError names: each problem starts with the variable's name. */
function named(error: ConfigError): string[] {
  return error.problems.map((p) => /^[A-Z_]+/.exec(p)?.[0] ?? p).sort();
}

describe('loadNodeConfig', () => {
  it('requires the trust anchor below the province, and a well-formed one anywhere', () => {
    expect(named(configError(env({ TRUST_ANCHOR: undefined })))).toEqual(['TRUST_ANCHOR']);
    expect(named(configError(env({ NODE_CODE: '330100', PARENT_CODE: '330000', TRUST_ANCHOR: '' })))).toEqual(['TRUST_ANCHOR']);
    expect(named(configError(env({ TRUST_ANCHOR: 'not-a-key' })))).toEqual(['TRUST_ANCHOR']);
    expect(configError(env({ TRUST_ANCHOR: undefined })).message).not.toContain(ANCHOR);
    expect(loadNodeConfig(env({ NODE_CODE: '330000', PARENT_CODE: undefined, TRUST_ANCHOR: undefined })).identity.trustAnchor).toBeNull();
  });

  it('reads a valid county environment', () => {
    expect(loadNodeConfig(env({ NATS_NAMESPACE: 'demo', LOG_LEVEL: 'warn', NODE_KEY_FILE: '/var/lib/tdx/xihu.pem' }))).toEqual({
      code: '330106',
      name: '西湖区',
      level: 'county',
      parentCode: '330100',
      databaseUrl: `postgres://tdx:${SECRET}@db.internal:5432/tdx_xihu`,
      natsUrl: 'nats://127.0.0.1:4222',
      natsNamespace: 'demo',
      natsNkeySeedFile: null,
      natsTls: null,
      port: 3106,
      keyFile: '/var/lib/tdx/xihu.pem',
      logLevel: 'warn',
      logFormat: 'text',
      http: expect.objectContaining({ trustProxy: false, corsOrigins: [] }),
      auth: { accessTokenTtlSeconds: 900, refreshTokenTtlSeconds: 28800, sessionCookieSecure: 'auto' },
      identity: { joinApproval: 'operator', trustListTtlSeconds: 86400, trustRefreshSeconds: 30, trustAnchor: ANCHOR },
      heartbeatSeconds: 10,
      sharing: { deadlineDays: { unconditional: 1, conditional: 10 }, calendarFile: null },
      highAvailability: { workerLeaseSeconds: 15, natsStreamReplicas: 1 },
      console: { dir: resolve(__dirname, '../../../console/dist') },
      metricsHistory: { intervalSeconds: 60 },
      accessSupervision: { intervalMinutes: 60, grantExpiryDays: 14 },
      quality: { checkIntervalHours: 24 },
    });
  });

  it('reads the access supervision settings (0 minutes: no periodic run) and names each bad one', () => {
    expect(loadNodeConfig(env({ ACCESS_SUPERVISION_INTERVAL_MINUTES: '0', ACCESS_GRANT_EXPIRY_DAYS: '30' })).accessSupervision).toEqual({
      intervalMinutes: 0,
      grantExpiryDays: 30,
    });
    expect(loadNodeConfig(env({ ACCESS_SUPERVISION_INTERVAL_MINUTES: '', ACCESS_GRANT_EXPIRY_DAYS: '' })).accessSupervision).toEqual({
      intervalMinutes: 60,
      grantExpiryDays: 14,
    });
    for (const bad of ['-1', '10081', '1.5', 'hourly']) {
      expect(named(configError(env({ ACCESS_SUPERVISION_INTERVAL_MINUTES: bad })))).toEqual(['ACCESS_SUPERVISION_INTERVAL_MINUTES']);
    }
    for (const bad of ['0', '366', 'soon']) expect(named(configError(env({ ACCESS_GRANT_EXPIRY_DAYS: bad })))).toEqual(['ACCESS_GRANT_EXPIRY_DAYS']);
  });

  it('reads the console settings and names each bad one', () => {
    const config = loadNodeConfig(env({ CONSOLE_DIR: 'build/console', SESSION_COOKIE_SECURE: 'always', METRICS_HISTORY_INTERVAL: '5' }));
    expect(config.console.dir).toBe(resolve('build/console'));
    expect(config.auth.sessionCookieSecure).toBe('always');
    expect(config.metricsHistory.intervalSeconds).toBe(5);
    expect(loadNodeConfig(env({ CONSOLE_DIR: '', SESSION_COOKIE_SECURE: '', METRICS_HISTORY_INTERVAL: '' })).metricsHistory.intervalSeconds).toBe(60);
    for (const bad of ['0', '3601', '1.5', 'soon']) {
      expect(named(configError(env({ METRICS_HISTORY_INTERVAL: bad })))).toEqual(['METRICS_HISTORY_INTERVAL']);
    }
    expect(named(configError(env({ SESSION_COOKIE_SECURE: 'true' })))).toEqual(['SESSION_COOKIE_SECURE']);
  });

  it('reads the quality check interval in hours (0: off) and names a bad one', () => {
    expect(loadNodeConfig(env({ QUALITY_CHECK_INTERVAL_HOURS: '0' })).quality.checkIntervalHours).toBe(0);
    expect(loadNodeConfig(env({ QUALITY_CHECK_INTERVAL_HOURS: '0.5' })).quality.checkIntervalHours).toBe(0.5);
    for (const bad of ['-1', '721', 'daily']) {
      expect(named(configError(env({ QUALITY_CHECK_INTERVAL_HOURS: bad })))).toEqual(['QUALITY_CHECK_INTERVAL_HOURS']);
    }
  });

  it('reads the high-availability settings and names each bad one', () => {
    expect(loadNodeConfig(env({ WORKER_LEASE_SECONDS: '3', NATS_STREAM_REPLICAS: '3' })).highAvailability).toEqual({
      workerLeaseSeconds: 3,
      natsStreamReplicas: 3,
    });
    expect(() => loadNodeConfig(env({ WORKER_LEASE_SECONDS: '1', NATS_STREAM_REPLICAS: '2' }))).toThrow(
      /WORKER_LEASE_SECONDS must be a whole number of seconds between 2 and 300.*NATS_STREAM_REPLICAS must be 1, 3 or 5/,
    );
    expect(() => loadNodeConfig(env({ WORKER_LEASE_SECONDS: 'soon', NATS_STREAM_REPLICAS: '9' }))).toThrow(
      /WORKER_LEASE_SECONDS must be .*NATS_STREAM_REPLICAS must be a whole number of copies between 1 and 5/,
    );
  });

  it('reads the sharing deadlines and the calendar file, naming a bad one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tdx-calendar-'));
    const file = join(dir, 'calendar.json');
    writeFileSync(file, JSON.stringify({ holidays: ['2027-02-09'], workdays: ['2027-02-14'] }));
    expect(loadNodeConfig(env({ SHARE_DEADLINE_DAYS_CONDITIONAL: '15', SHARE_DEADLINE_DAYS_UNCONDITIONAL: '0', CALENDAR_FILE: file })).sharing).toEqual({
      deadlineDays: { unconditional: 0, conditional: 15 },
      calendarFile: file,
    });
    writeFileSync(file, JSON.stringify({ holidays: ['2027-02-30'] }));
    const error = configError(env({ SHARE_DEADLINE_DAYS_CONDITIONAL: 'ten', SHARE_DEADLINE_DAYS_UNCONDITIONAL: '61', CALENDAR_FILE: file }));
    expect(named(error)).toEqual(['CALENDAR_FILE', 'SHARE_DEADLINE_DAYS_CONDITIONAL', 'SHARE_DEADLINE_DAYS_UNCONDITIONAL']);
  });

  it('applies defaults for the optional variables', () => {
    const config = loadNodeConfig(env());
    expect(config.keyFile).toBe('.tdx/keys/node-330106.pem');
    expect(config.logLevel).toBe('log');
    expect(config.logFormat).toBe('text');
    expect(config.natsNamespace).toMatch(/^[a-z][a-z0-9]*$/);
  });

  it('derives the level from the code, and a province has no parent', () => {
    expect(loadNodeConfig(env({ NODE_CODE: '330000', PARENT_CODE: undefined }))).toMatchObject({ level: 'province', parentCode: null, name: '浙江省' });
    expect(loadNodeConfig(env({ NODE_CODE: '330000', PARENT_CODE: '' }))).toMatchObject({ level: 'province', parentCode: null });
    expect(loadNodeConfig(env({ NODE_CODE: '330200', PARENT_CODE: '330000' }))).toMatchObject({ level: 'city', parentCode: '330000', name: '宁波市' });
    expect(loadNodeConfig(env({ NODE_CODE: '330212', PARENT_CODE: '330200' }))).toMatchObject({ level: 'county', parentCode: '330200' });
  });

  it('names every bad variable in one message', () => {
    const error = configError({
      NODE_CODE: '33010',
      PARENT_CODE: 'x',
      DATABASE_URL: 'mysql://root@db/tdx',
      NATS_URL: 'http://nats:4222',
      NATS_NAMESPACE: 'Has-Capitals',
      PORT: 'eighty',
      LOG_LEVEL: 'verbose',
      LOG_FORMAT: 'xml',
    });
    expect(named(error)).toEqual(['DATABASE_URL', 'LOG_FORMAT', 'LOG_LEVEL', 'NATS_NAMESPACE', 'NATS_URL', 'NODE_CODE', 'PARENT_CODE', 'PORT']);
    for (const problem of error.problems) expect(error.message).toContain(problem);
    expect(error.message).toMatch(/^invalid configuration: /);
  });

  it('names bad hardening variables (limits, CORS, proxy trust) with the others, never their values', () => {
    const error = configError(
      env({ PORT: 'x', SIGNIN_RATE_LIMIT: '0', CORS_ORIGINS: 'https://ok.example,https://evil.example/x', TRUST_PROXY: 'true', JSON_BODY_LIMIT: 'huge' }),
    );
    expect(named(error)).toEqual(['CORS_ORIGINS', 'JSON_BODY_LIMIT', 'PORT', 'SIGNIN_RATE_LIMIT', 'TRUST_PROXY']);
    expect(error.message).not.toContain('evil.example');
    expect(error.message).not.toContain('huge');
  });

  it('names every missing required variable', () => {
    expect(named(configError({}))).toEqual(['DATABASE_URL', 'NATS_URL', 'NODE_CODE', 'PORT']);
  });

  it.each([
    ['PORT', '0'],
    ['PORT', '65536'],
    ['PORT', '80.5'],
    ['PORT', ''],
    ['NODE_CODE', '3301060'],
    ['NODE_CODE', '000000'],
    ['NODE_CODE', '001006'],
    ['NATS_URL', 'nats://a:4222,http://b:4222'],
    ['DATABASE_URL', ''],
  ])('refuses %s=%j', (variable, value) => {
    const overrides: Record<string, string> = { [variable]: value };
    if (variable === 'NODE_CODE') overrides.PARENT_CODE = '330100';
    expect(named(configError(env(overrides)))).toContain(variable);
  });

  it('sign-in settings: token lifetimes, and a weak ADMIN_PASSWORD named without echoing it', () => {
    expect(loadNodeConfig(env({ ACCESS_TOKEN_TTL: '60', REFRESH_TOKEN_TTL: '3600', ADMIN_PASSWORD: 'Strong-Passw0rd-1' })).auth).toEqual({
      accessTokenTtlSeconds: 60,
      refreshTokenTtlSeconds: 3600,
      sessionCookieSecure: 'auto',
      adminPassword: 'Strong-Passw0rd-1',
    });
    const weak = configError(env({ ADMIN_PASSWORD: 'weakpassword', ACCESS_TOKEN_TTL: '0', REFRESH_TOKEN_TTL: 'soon', METRICS_TOKEN: 'short' }));
    expect(named(weak)).toEqual(['ACCESS_TOKEN_TTL', 'ADMIN_PASSWORD', 'METRICS_TOKEN', 'REFRESH_TOKEN_TTL']);
    expect(weak.message).not.toContain('weakpassword');
    expect(weak.message).not.toContain('short');
  });

  it('never echoes the value of DATABASE_URL, valid or not', () => {
    const bad = configError(env({ DATABASE_URL: `mysql://tdx:${SECRET}@db.internal/tdx`, PORT: 'x' }));
    expect(named(bad)).toEqual(['DATABASE_URL', 'PORT']);
    expect(bad.message).not.toContain(SECRET);
    expect(bad.message).not.toContain('db.internal');
    expect(JSON.stringify(bad.problems)).not.toContain(SECRET);
    const badWithSpace = configError(env({ DATABASE_URL: `postgres://tdx:${SECRET} @db.internal/tdx` }));
    expect(badWithSpace.message).not.toContain(SECRET);
    // With another variable wrong, the valid URL is not echoed either.
    const other = configError(env({ PARENT_CODE: '330200' }));
    expect(other.message).not.toContain(SECRET);
    expect(String(other.stack)).not.toContain(SECRET);
  });

  it.each([
    ['a county under another city', '330106', '330200'],
    ['a county directly under the province', '330106', '330000'],
    ['a city under a city', '330200', '330100'],
    ['a city under another province', '330200', '320000'],
    ['a county under itself', '330106', '330106'],
    ['a county under a county', '330106', '330108'],
  ])('refuses %s (%s under %s), naming PARENT_CODE', (_label, code, parent) => {
    const error = configError(env({ NODE_CODE: code, PARENT_CODE: parent }));
    expect(named(error)).toEqual(['PARENT_CODE']);
    expect(error.message).toContain(code);
    expect(error.message).toContain(parent);
  });

  it('refuses a province with a parent', () => {
    const error = configError(env({ NODE_CODE: '330000', PARENT_CODE: '310000' }));
    expect(named(error)).toEqual(['PARENT_CODE']);
    expect(error.message).toMatch(/province/);
  });

  it.each([
    ['a city', '330100'],
    ['a county', '330106'],
  ])('refuses %s without a parent', (_label, code) => {
    expect(named(configError(env({ NODE_CODE: code, PARENT_CODE: undefined })))).toEqual(['PARENT_CODE']);
    expect(named(configError(env({ NODE_CODE: code, PARENT_CODE: '' })))).toEqual(['PARENT_CODE']);
  });

  it('names a wrong parent together with the other bad variables', () => {
    expect(named(configError(env({ PARENT_CODE: '330200', PORT: '-1' })))).toEqual(['PARENT_CODE', 'PORT']);
  });

  it('takes the name from the division list, whatever NODE_NAME says', () => {
    expect(loadNodeConfig(env()).name).toBe('西湖区');
    expect(loadNodeConfig(env({ NODE_NAME: 'Somewhere else' })).name).toBe('西湖区');
    expect(loadNodeConfig(env({ NODE_CODE: '330100', PARENT_CODE: '330000' })).name).toBe('杭州市');
  });

  it('takes NODE_NAME for a code that is not in the division list, and requires it there', () => {
    // 330199 is shaped like a Hangzhou county but is not one.
    const unlisted = env({ NODE_CODE: '330199', PARENT_CODE: '330100' });
    expect(loadNodeConfig({ ...unlisted, NODE_NAME: 'Test County' })).toMatchObject({ code: '330199', name: 'Test County', level: 'county' });
    expect(named(configError(unlisted))).toEqual(['NODE_NAME']);
    expect(named(configError({ ...unlisted, NODE_NAME: '' }))).toEqual(['NODE_NAME']);
  });

  it('names a missing NODE_NAME together with the other bad variables', () => {
    expect(named(configError(env({ NODE_CODE: '330199', PARENT_CODE: '330100', PORT: '99999' })))).toEqual(['NODE_NAME', 'PORT']);
  });
});

describe('loadOrCreateSigningKey', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tdx-key-spec-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('generates the key once, stores it 0600, and reloads the same key afterwards', () => {
    const file = join(dir, 'nested', 'keys', 'node-330106.pem');
    const first = loadOrCreateSigningKey(file);
    expect(first.created).toBe(true);
    expect(first.key.publicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = readFileSync(file, 'utf8');
    expect(stored).toMatch(/^-----BEGIN PRIVATE KEY-----/);

    const second = loadOrCreateSigningKey(file);
    expect(second.created).toBe(false);
    expect(second.key.publicKey).toBe(first.key.publicKey);
    expect(readFileSync(file, 'utf8')).toBe(stored);

    // The reloaded key signs what the first key's public half verifies.
    const envelope = sealRecord(
      {
        v: 1,
        kind: 'node.join',
        origin: '330106',
        seq: 0,
        at: new Date().toISOString(),
        body: { code: '330106', name: '西湖区', level: 'county', parent: '330100', publicKey: second.key.publicKey },
      },
      second.key,
    );
    expect(verifyEnvelope(openEnvelope(encodeEnvelope(envelope)).envelope, publicKeyFromBase64url(first.key.publicKey))).toBe(true);
  });

  it('gives different nodes different keys', () => {
    const a = loadOrCreateSigningKey(join(dir, 'a.pem'));
    const b = loadOrCreateSigningKey(join(dir, 'b.pem'));
    expect(a.key.publicKey).not.toBe(b.key.publicKey);
  });

  it('refuses a stored key that is not Ed25519 rather than replace it', () => {
    const file = join(dir, 'rsa.pem');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    writeFileSync(file, pem);
    expect(() => loadOrCreateSigningKey(file)).toThrow(/Ed25519/);
    expect(readFileSync(file, 'utf8')).toBe(pem);
  });
});

describe('NATS_NKEY_SEED_FILE', () => {
  let dir: string;
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  const seedFile = (name: string, content: string, mode = 0o600) => {
    const file = join(dir, name);
    writeFileSync(file, content, { mode });
    chmodSync(file, mode);
    return file;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tdx-nkey-spec-'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes a file (0600) holding an NKey user seed, and keeps only its path', () => {
    const user = nkeys.createUser();
    const file = seedFile('ok.nk', `${text(user.getSeed())}\n`);
    expect(loadNodeConfig(env({ NATS_NKEY_SEED_FILE: file })).natsNkeySeedFile).toBe(file);
    expect(text(readNkeySeed(file))).toBe(text(user.getSeed()));
  });

  it('is optional: a node on a server without authentication has none', () => {
    expect(loadNodeConfig(env()).natsNkeySeedFile).toBeNull();
    expect(loadNodeConfig(env({ NATS_NKEY_SEED_FILE: '' })).natsNkeySeedFile).toBeNull();
  });

  it('names a missing, shared or malformed seed file with the other bad variables, never echoing what it holds', () => {
    const seed = text(nkeys.createUser().getSeed());
    const cases: [string, RegExp][] = [
      [join(dir, 'missing.nk'), /cannot be read/],
      [seedFile('shared.nk', seed, 0o644), /readable by its owner only/],
      [seedFile('account.nk', text(nkeys.createAccount().getSeed())), /does not hold an NKey user seed/],
      [seedFile('checksum.nk', `${seed.slice(0, -2)}${seed.endsWith('AA') ? 'BB' : 'AA'}`), /does not hold an NKey user seed/],
      [seedFile('pem.nk', '-----BEGIN PRIVATE KEY-----'), /does not hold an NKey user seed/],
    ];
    for (const [file, problem] of cases) {
      const error = configError(env({ NATS_NKEY_SEED_FILE: file, PORT: 'x' }));
      expect(named(error)).toEqual(['NATS_NKEY_SEED_FILE', 'PORT']);
      expect(error.problems.find((p) => p.startsWith('NATS_NKEY_SEED_FILE'))).toMatch(problem);
      expect(error.message).not.toContain(seed.slice(2, 20));
    }
  });
});
