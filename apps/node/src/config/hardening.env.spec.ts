import { tmpdir } from 'node:os';
import { DATABASE_POOL_SIZE } from './pool-size';
import { HARDENING_DEFAULTS, loadHardeningConfig, RESERVED_DB_CONNECTIONS } from './hardening.env';

describe('loadHardeningConfig', () => {
  it('applies the defaults', () => {
    const { config, problems } = loadHardeningConfig({});
    expect(problems).toEqual([]);
    expect(config).toEqual({
      trustProxy: false,
      corsOrigins: [],
      jsonBodyLimitBytes: 5 * 1024 * 1024,
      uploadLimitBytes: 10 * 1024 ** 3,
      maxUrlLength: 8192,
      maxHeaderBytes: 16384,
      requestTimeoutSeconds: 300,
      signInPerUser: { limit: 10, windowSeconds: 900 },
      signInPerAddress: { limit: HARDENING_DEFAULTS.SIGNIN_RATE_LIMIT_PER_ADDRESS, windowSeconds: 900 },
      publicPerAddress: { limit: 300, windowSeconds: 60 },
      natsRequestsPerSender: { limit: 1000, windowSeconds: 10 },
      channelRequestsPerSender: { limit: 20_000, windowSeconds: 10 },
      channelTimeoutMs: 5000,
      rateLimitMaxKeys: 100_000,
      uploadSpoolDir: tmpdir(),
      uploads: { perNode: 8, perInstitution: 2 },
      heavyReads: { perNode: 2, perInstitution: 1 },
      bulkDbConnections: 4,
      refusalSummarySeconds: 60,
      auditRetentionDays: 180,
    });
  });

  it('keeps bulk work below the pool: BULK_DB_CONNECTIONS leaves connections for everything else', () => {
    expect(loadHardeningConfig({ BULK_DB_CONNECTIONS: String(DATABASE_POOL_SIZE - RESERVED_DB_CONNECTIONS) }).problems).toEqual([]);
    expect(loadHardeningConfig({ BULK_DB_CONNECTIONS: String(DATABASE_POOL_SIZE) }).problems).toEqual([
      `BULK_DB_CONNECTIONS must be a whole number from 1 to ${DATABASE_POOL_SIZE - RESERVED_DB_CONNECTIONS}`,
    ]);
    expect(
      loadHardeningConfig({ UPLOAD_SPOOL_DIR: '/var/tmp/tdx', UPLOAD_CONCURRENCY: '20', HEAVY_READ_CONCURRENCY_PER_INSTITUTION: '3' }).config,
    ).toMatchObject({
      uploadSpoolDir: '/var/tmp/tdx',
      uploads: { perNode: 20, perInstitution: 2 },
      heavyReads: { perNode: 2, perInstitution: 3 },
    });
  });

  it('reads sizes, lists, proxies and limits', () => {
    const { config, problems } = loadHardeningConfig({
      JSON_BODY_LIMIT: '512kb',
      UPLOAD_BODY_LIMIT: '2GB',
      CORS_ORIGINS: 'https://Portal.example.gov.cn, http://localhost:8080',
      TRUST_PROXY: '10.0.0.0/8, loopback,::1',
      SIGNIN_RATE_LIMIT: '5',
      SIGNIN_RATE_WINDOW_SECONDS: '60',
      PUBLIC_RATE_LIMIT: '1000',
    });
    expect(problems).toEqual([]);
    expect(config).toMatchObject({
      jsonBodyLimitBytes: 512 * 1024,
      uploadLimitBytes: 2 * 1024 ** 3,
      corsOrigins: ['https://portal.example.gov.cn', 'http://localhost:8080'],
      trustProxy: ['10.0.0.0/8', 'loopback', '::1'],
      signInPerUser: { limit: 5, windowSeconds: 60 },
      publicPerAddress: { limit: 1000, windowSeconds: 60 },
    });
    expect(loadHardeningConfig({ TRUST_PROXY: '2' }).config.trustProxy).toBe(2);
  });

  it.each([
    ['JSON_BODY_LIMIT', 'lots'],
    ['JSON_BODY_LIMIT', '10'],
    ['UPLOAD_BODY_LIMIT', '-5mb'],
    ['SIGNIN_RATE_LIMIT', '0'],
    ['SIGNIN_RATE_LIMIT', 'ten'],
    ['SIGNIN_RATE_LIMIT_PER_ADDRESS', '1.5'],
    ['SIGNIN_RATE_WINDOW_SECONDS', '86401'],
    ['PUBLIC_RATE_LIMIT', '-1'],
    ['PUBLIC_RATE_WINDOW_SECONDS', '0'],
    ['NATS_REQUEST_RATE_LIMIT', '0'],
    ['NATS_REQUEST_RATE_WINDOW_SECONDS', 'soon'],
    ['RATE_LIMIT_MAX_KEYS', '5'],
    ['MAX_URL_LENGTH', '10'],
    ['MAX_HEADER_BYTES', '100'],
    ['REQUEST_TIMEOUT_SECONDS', '0'],
    ['REQUEST_TIMEOUT_SECONDS', '1h'],
    ['TRUST_PROXY', 'true'],
    ['TRUST_PROXY', '0'],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['TRUST_PROXY', 'proxy.internal'],
    ['CORS_ORIGINS', '*'],
    ['CORS_ORIGINS', 'https://portal.example/path'],
    ['CORS_ORIGINS', 'portal.example'],
    ['UPLOAD_SPOOL_DIR', 'relative/dir'],
    ['UPLOAD_CONCURRENCY', '0'],
    ['UPLOAD_CONCURRENCY_PER_INSTITUTION', 'two'],
    ['HEAVY_READ_CONCURRENCY', '-1'],
    ['HEAVY_READ_CONCURRENCY_PER_INSTITUTION', '0'],
    ['BULK_DB_CONNECTIONS', '0'],
    ['AUDIT_REFUSAL_SUMMARY_SECONDS', '0'],
    ['AUDIT_RETENTION_DAYS', 'forever'],
  ])('names %s=%j as the bad variable, without its value', (variable, value) => {
    const { problems } = loadHardeningConfig({ [variable]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0].startsWith(variable)).toBe(true);
    // The message is the same whatever the bad value: it never quotes it.
    expect(problems[0]).toBe(loadHardeningConfig({ [variable]: 'x-other-bad-value-x' }).problems[0]);
  });
});
