import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nkeys } from '@nats-io/transport-node';
import { ConfigError, loadNodeConfig } from '../config/environment';
import { knownVariables, loadHostedNodes } from './hosted-nodes.config';
import { Logger } from '@nestjs/common';
import { hostNodesFromFile, redactEveryNodesSecrets } from './host-nodes';

const SECRET = 'db-Pa55word-never-shown';
const ANCHOR = 'l7mZ8hC2kGvG4zF1c9Q1nq2fA8cB3dE4fG5hI6jK7lM';
const dir = mkdtempSync(join(tmpdir(), 'tdx-nodes-file-'));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Hangzhou hosting Xihu and Shangcheng, as YAML; `extra` lines are appended to the node list. */
function hangzhou(extra = ''): string {
  return `
defaults:
  NATS_URL: nats://127.0.0.1:4222
  TRUST_ANCHOR: ${ANCHOR}
nodes:
  - NODE_CODE: "330100"
    PARENT_CODE: "330000"
    PORT: 3100
    DATABASE_URL: postgres://tdx:\${DB_PASSWORD}@db.internal/tdx_330100
    NODE_KEY_FILE: /var/lib/tdx/keys/330100.pem
  - NODE_CODE: "330106"
    PARENT_CODE: "330100"
    PORT: 3106
    DATABASE_URL: postgres://tdx:\${DB_PASSWORD}@db.internal/tdx_330106
    NODE_KEY_FILE: /var/lib/tdx/keys/330106.pem
${extra}`;
}

function problemsOf(path: string, env: Record<string, string> = { DB_PASSWORD: SECRET }): string[] {
  try {
    loadHostedNodes(path, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).not.toContain(SECRET);
    return (error as ConfigError).problems;
  }
  throw new Error('the file was accepted');
}

describe('loadHostedNodes', () => {
  it('reads each node exactly as loadNodeConfig reads the same variables from an environment', () => {
    const nodes = loadHostedNodes(file('ok.yaml', hangzhou()), { DB_PASSWORD: SECRET });
    expect(nodes.map((n) => [n.position, n.config.code, n.config.port])).toEqual([
      ['nodes[0]', '330100', 3100],
      ['nodes[1]', '330106', 3106],
    ]);
    const alone = loadNodeConfig({
      NODE_CODE: '330106',
      PARENT_CODE: '330100',
      PORT: '3106',
      DATABASE_URL: `postgres://tdx:${SECRET}@db.internal/tdx_330106`,
      NODE_KEY_FILE: '/var/lib/tdx/keys/330106.pem',
      NATS_URL: 'nats://127.0.0.1:4222',
      TRUST_ANCHOR: ANCHOR,
    });
    expect(nodes[1].config).toEqual(alone);
  });

  it('reads JSON the same way', () => {
    const json = {
      defaults: { NATS_URL: 'nats://127.0.0.1:4222', TRUST_ANCHOR: ANCHOR },
      nodes: [{ NODE_CODE: '330100', PARENT_CODE: '330000', PORT: 3100, DATABASE_URL: 'postgres://tdx@db/tdx_330100' }],
    };
    expect(loadHostedNodes(file('ok.json', JSON.stringify(json)), {})[0].config.databaseUrl).toBe('postgres://tdx@db/tdx_330100');
  });

  it('names every problem of every node in one error: same code, same port, same database, wrong city, bad variable, typo', () => {
    const problems = problemsOf(
      file(
        'bad.yaml',
        hangzhou(`  - NODE_CODE: "330106"
    PARENT_CODE: "330100"
    PORT: 3100
    DATABASE_URL: postgres://other@db.internal:5432/tdx_330100
  - NODE_CODE: "330212"
    PARENT_CODE: "330200"
    PORT: 3212
    DATABASE_URL: postgres://tdx@db.internal/tdx_330212
    NODE_KEY_FILE: /var/lib/tdx/keys/../keys/330100.pem
  - NODE_CODE: "330102"
    PARENT_CODE: "330100"
    PORT: 99999
    DATABSE_URL: postgres://tdx@db.internal/tdx_330102
`),
      ),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'NODE_CODE 330106 is given to 2 nodes (nodes[1] 330106, nodes[2] 330106)',
        'PORT 3100 is given to 2 nodes (nodes[0] 330100, nodes[2] 330106)',
        'DATABASE_URL (one database) is given to 2 nodes (nodes[0] 330100, nodes[2] 330106)',
        expect.stringMatching(/^330212: sits under 330200, which this file does not host; the nodes of one file are 330100 and the counties that build on it/),
        'nodes[4] (330102): DATABSE_URL is not a variable the node reads',
        expect.stringMatching(/^nodes\[4\] \(330102\): DATABASE_URL/),
        expect.stringMatching(/^nodes\[4\] \(330102\): PORT/),
      ]),
    );
    // The same file however its path is spelt.
    expect(problems).toContain('NODE_KEY_FILE (one key) is given to 2 nodes (nodes[0] 330100, nodes[3] 330212)');
    expect(problems).toHaveLength(8);
  });

  it('refuses a county under the wrong city by the division codes', () => {
    const problems = problemsOf(
      file(
        'wrong-city.yaml',
        hangzhou(`  - NODE_CODE: "330212"
    PARENT_CODE: "330100"
    PORT: 3212
    DATABASE_URL: postgres://tdx@db.internal/tdx_330212
`),
      ),
    );
    expect(problems).toEqual([expect.stringMatching(/^nodes\[2\] \(330212\): PARENT_CODE: 330212 does not sit directly under 330100/)]);
  });

  it('names a missing ${reference}, a bad shape and unreadable files without quoting values', () => {
    expect(problemsOf(file('ref.yaml', hangzhou()), {})).toEqual([
      expect.stringMatching(/nodes\[0\]: DATABASE_URL refers to \$\{DB_PASSWORD\}, which the environment does not set$/),
      expect.stringMatching(/nodes\[1\]: DATABASE_URL refers to \$\{DB_PASSWORD\}/),
    ]);
    expect(problemsOf(file('shape.yaml', 'nodes: []\nextra: 1\n'))).toEqual([
      expect.stringMatching(/`extra` is not a section of a nodes file/),
      expect.stringMatching(/`nodes` must list at least one node$/),
    ]);
    expect(problemsOf(file('broken.yaml', `nodes:\n  - NODE_CODE: "330100\n    DATABASE_URL: postgres://x:${SECRET}@h/d\n`))[0]).toMatch(/is not valid YAML/);
    expect(problemsOf(join(dir, 'absent.yaml'))).toEqual([expect.stringMatching(/absent.yaml: cannot be read \(ENOENT\)$/)]);
  });

  it('knows the variables the node reads, validated and read by name', () => {
    const names = knownVariables();
    for (const name of ['NODE_CODE', 'DATABASE_URL', 'PORT', 'TRUST_ANCHOR', 'CORS_ORIGINS', 'NATS_TLS_CA_FILE', 'SIGNIN_RATE_LIMIT'])
      expect(names).toContain(name);
    expect(names).not.toContain('DATABSE_URL');
  });
});

describe('NATS users', () => {
  it('refuses two nodes of one NATS user (the server lets a user send only as the node it names)', () => {
    const seed = join(dir, 'shared.nk');
    writeFileSync(seed, new TextDecoder().decode(nkeys.createUser().getSeed()), { mode: 0o600 });
    const problems = problemsOf(file('seed.yaml', hangzhou().replace(/(NODE_KEY_FILE: .*)$/gm, `$1\n    NATS_NKEY_SEED_FILE: ${seed}`)));
    expect(problems).toEqual(['NATS_NKEY_SEED_FILE (one NATS user) is given to 2 nodes (nodes[0] 330100, nodes[1] 330106)']);
  });
});

describe('deploy/nodes/hangzhou.nodes.yaml', () => {
  it('is a valid nodes file: its only problems are the files and the anchor an operator installs', () => {
    const example = join(__dirname, '../../../../deploy/nodes/hangzhou.nodes.yaml');
    const problems = problemsOf(example, { TDX_DB_PASSWORD: SECRET, TDX_METRICS_TOKEN: 'm'.repeat(40) });
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) expect(problem).toMatch(/^nodes\[\d\] \(3301\d\d\): (TRUST_ANCHOR|NATS_NKEY_SEED_FILE|NATS_TLS_(CA|CERT|KEY)_FILE)\b/);
  });
});

describe('hostNodesFromFile', () => {
  it('refuses a process given both a nodes file and a node of its own environment, before reading anything', async () => {
    await expect(hostNodesFromFile(join(dir, 'absent.yaml'), { TDX_NODES_FILE: join(dir, 'absent.yaml'), NODE_CODE: '330106' })).rejects.toThrow(
      /TDX_NODES_FILE and NODE_CODE are both set/,
    );
  });
});

describe('redactEveryNodesSecrets', () => {
  it("makes the process-wide logger redact every hosted node's secrets, whichever node writes", () => {
    const other = 'other-Db-Pa55word';
    const nodes = loadHostedNodes(
      file('secrets.yaml', hangzhou().replace('tdx:${DB_PASSWORD}@db.internal/tdx_330106', `tdx:${other}@db.internal/tdx_330106`)),
      {
        DB_PASSWORD: SECRET,
      },
    );
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      redactEveryNodesSecrets(nodes);
      new Logger('AnyNode').log(`connecting with ${SECRET} and ${other}`);
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toContain('connecting with');
    expect(written.join('')).not.toContain(SECRET);
    expect(written.join('')).not.toContain(other);
  });
});
