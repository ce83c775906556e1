import { REDACTED, Redactor, urlCredentials } from './redaction';
import { secretsOf } from './node-secrets';
import { Logger } from '@nestjs/common';
import { RedactingLogger } from './redacting-logger';

describe('Redactor', () => {
  it('replaces every secret, also percent-encoded or decoded, and any URL password', () => {
    const redactor = new Redactor(['p@ss:w0rd/1', undefined, 'ab']);
    const text = 'login p@ss:w0rd/1 and p%40ss%3Aw0rd%2F1, url nats://bob:hunter22@nats:4222 and postgres://u:x@db/tdx, ab stays';
    const redacted = redactor.redact(text);
    expect(redacted).not.toContain('w0rd');
    expect(redacted).not.toContain('hunter22');
    expect(redacted).toContain(`nats://bob:${REDACTED}@nats:4222`);
    expect(redacted).toContain(`postgres://u:${REDACTED}@db/tdx`);
    expect(redacted).toContain('ab stays');
  });
});

describe('secretsOf', () => {
  it('finds the credentials in the URLs and every field named as a secret, nested too', () => {
    const secrets = secretsOf({
      code: '330106',
      databaseUrl: 'postgres://tdx:db-pass-1@db/tdx',
      natsUrl: 'nats://n1:nats-pass-2@a:4222,nats://b:4222',
      auth: { accessTokenTtlSeconds: 900, adminPassword: 'admin-pass-3', metricsToken: 'metrics-token-4' },
    });
    expect(secrets).toEqual(expect.arrayContaining(['db-pass-1', 'n1:nats-pass-2', 'nats-pass-2', 'admin-pass-3', 'metrics-token-4']));
    expect(secrets).not.toContain('330106');
  });

  it('reads user information from each URL of a list', () => {
    expect(urlCredentials('nats://a:4222,tls://tok3n@b:4222')).toEqual(['tok3n']);
  });

  it('takes no word from a database URL without a password, so stack traces keep it', () => {
    const secrets = secretsOf({ databaseUrl: 'postgres://postgres@localhost:5432/tdx_330106', natsUrl: 'nats://localhost:4222' });
    expect(secrets).toEqual([]);
    expect(secretsOf({ databaseUrl: 'postgres://postgres:@localhost/tdx' })).toEqual([]);
    const stack =
      'QueryFailedError: relation "x" does not exist\n    at PostgresQueryRunner.query (node_modules/typeorm/driver/postgres/PostgresQueryRunner.js:1:1)';
    expect(new Redactor(secrets).redact(stack)).toBe(stack);
    // With a password, the password goes and the user name stays.
    const withPassword = new Redactor(secretsOf({ databaseUrl: 'postgres://postgres:pg-pass-9@db/tdx' }));
    expect(withPassword.redact(`${stack} pg-pass-9`)).toBe(`${stack} ${REDACTED}`);
  });
});

describe('RedactingLogger', () => {
  it('redacts messages and stack traces before they are written', () => {
    const written: string[] = [];
    const spies = [process.stdout, process.stderr].map((stream) =>
      jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => written.push(String(chunk)) > 0),
    );
    try {
      const logger = new RedactingLogger({ node: '330106', secrets: ['hunter2-secret'], logLevels: ['log', 'error', 'debug'] });
      logger.log('connecting with hunter2-secret', 'Database');
      logger.debug('url postgres://tdx:other-pw@db/tdx');
      const error = new Error('failed: hunter2-secret');
      logger.error(error.message, error.stack, 'HttpErrors');
      logger.error('an error without a stack');
      logger.error('an error with a stack that is not text', { code: 42 } as unknown as string, 'Audit');
    } finally {
      spies.forEach((spy) => spy.mockRestore());
    }
    const output = written.join('');
    expect(output).toContain('connecting with');
    expect(output).toContain('HttpErrors');
    expect(output).toContain('an error without a stack');
    expect(output).not.toContain('hunter2-secret');
    expect(output).not.toContain('other-pw');
  });
});

describe('RedactingLogger.forNode', () => {
  it('keeps redacting the secrets of nodes started earlier in the same process', () => {
    const nest = Logger as unknown as { staticInstanceRef?: Parameters<typeof Logger.overrideLogger>[0] };
    const before = nest.staticInstanceRef;
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => written.push(String(chunk)) > 0);
    try {
      Logger.overrideLogger(RedactingLogger.forNode({ node: '330100', secrets: ['first-node-secret'], logLevels: ['log'] }));
      const second = RedactingLogger.forNode({ node: '330106', secrets: ['second-node-secret'], logLevels: ['log'] });
      second.log('first-node-secret and second-node-secret');
    } finally {
      spy.mockRestore();
      if (before) Logger.overrideLogger(before);
    }
    expect(written.join('')).not.toMatch(/node-secret/);
    expect(written.join('')).toMatch(/^\[tdx 330106\] /);
  });
});

/** What a logger writes to stdout and stderr while `act` runs, as lines. */
function linesWritten(act: () => void): string[] {
  const written: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => written.push(String(chunk)) > 0),
  );
  try {
    act();
  } finally {
    spies.forEach((spy) => spy.mockRestore());
  }
  return written
    .join('')
    .split('\n')
    .filter((line) => line !== '');
}

describe('RedactingLogger lines name their node', () => {
  const secret = 'pa"ss\\word-9';

  it('text: every line, a multi-line message and stack trace included, starts with the node', () => {
    const lines = linesWritten(() => {
      const logger = new RedactingLogger({ node: '330106', secrets: [secret], logLevels: ['log', 'error'], colors: false });
      logger.log(`first line\nsecond line with ${secret}`, 'Catalog');
      logger.error('failed', `Error: ${secret}\n    at somewhere (x.js:1:1)`, 'Returns');
    });
    expect(lines.length).toBe(5);
    for (const line of lines) expect(line).toMatch(/^\[tdx 330106\] /);
    expect(lines.join('\n')).not.toContain(secret);
  });

  it('json: one object per line with time, level, node, context and message; a secret with quotes is still redacted', () => {
    const lines = linesWritten(() => {
      const logger = new RedactingLogger({ node: '330100', secrets: [secret], logLevels: ['log', 'warn', 'error'], format: 'json', colors: true });
      logger.log(`connecting with ${secret}\nand a second line`, 'Database');
      logger.warn({ detail: secret, count: 2 }, 'Sharing');
      logger.error('failed', `Error: ${secret}\n    at somewhere (x.js:1:1)`, 'Returns');
      logger.log('no context');
    });
    expect(lines).toHaveLength(4);
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const line of parsed) {
      expect(line.node).toBe('330100');
      expect(new Date(String(line.time)).toISOString()).toBe(line.time);
      expect(typeof line.message).toBe('string');
    }
    expect(parsed.map((line) => [line.level, line.context])).toEqual([
      ['log', 'Database'],
      ['warn', 'Sharing'],
      ['error', 'Returns'],
      ['log', ''],
    ]);
    expect(parsed[0].message).toBe('connecting with [redacted]\nand a second line');
    expect(parsed[1].message).toContain('count: 2');
    expect(parsed[2].stack).toMatch(/^Error: \[redacted\]\n/);
    expect(lines.join('\n')).not.toContain('ss\\\\word');
    expect(lines.join('\n')).not.toContain('\x1b[');
  });

  it('keeps the node a property of each logger: two nodes in one process write their own codes', () => {
    const lines = linesWritten(() => {
      const city = new RedactingLogger({ node: '330100', secrets: [], logLevels: ['log'], format: 'json' });
      const county = new RedactingLogger({ node: '330106', secrets: [], logLevels: ['log'], format: 'json' });
      city.log('from the city', 'X');
      county.log('from the county', 'X');
      city.log('the city again', 'X');
    });
    expect(lines.map((line) => (JSON.parse(line) as { node: string }).node)).toEqual(['330100', '330106', '330100']);
  });
});
