// Schema-driven fuzzing of every operation in the node's own OpenAPI document: bodies, path
// parameters and queries drawn from each operation's schema, and hostile ones (deep nesting, lone
// surrogates, NUL, huge numbers, wrong types, nulls, arrays where objects go), sent as the public
// and as the node's administrator. No answer may be a 5xx, and hostile requests change nothing.
//
// Seeded and bounded: FUZZ_SEED and FUZZ_RUNS (runs per operation and kind) repeat or widen a run.
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { accessToken, api, createTestDatabase, deleteNamespaceStreams, SHARED_NATS_URL, TestDatabase, testNamespace } from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleEntry, sampleInstitution } from './support/samples';

const SEED = Number(process.env.FUZZ_SEED ?? 20261127);
const RUNS = Number(process.env.FUZZ_RUNS ?? 10);

interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  maxItems?: number;
}

interface Operation {
  method: string;
  path: string;
  params: { name: string; in: 'path' | 'query'; schema: Schema }[];
  body?: Schema;
}

interface Request {
  principal: 'anonymous' | 'admin';
  path: string;
  query: string;
  /** JSON text, or undefined for no body. */
  body?: string;
}

// Values no field of any operation accepts: each request of the hostile kind carries one.
const lone = fc.constantFrom('\ud800', 'a\udc00b', 'x\udbff', '\udfff\ud800');
const invalid: fc.Arbitrary<unknown> = fc.oneof(
  lone,
  fc.constantFrom('a\u0000b', '\u0000'),
  fc.integer({ min: 65, max: 200 }).map((depth) => nested(depth, [])),
  fc.integer({ min: 65, max: 200 }).map((depth) => nested(depth, { a: 1 })),
);
// Values of the wrong kind, at the edges, or odd: any field may meet them, and no answer may be a 5xx.
const odd: fc.Arbitrary<unknown> = fc.oneof(
  invalid,
  fc.constantFrom(null, true, false, 0, -1, -0, 1.5, 1e308, -1e308, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), '', ' ', '0', 'null', '[]'),
  fc.constantFrom([], [[]], {}, [{}], [null], JSON.parse('{"__proto__":{"polluted":true}}'), { constructor: { prototype: {} } }),
  fc.constantFrom("' OR 1=1 --", '../../etc/passwd', '%00', '\u202e\u200b', '😀', '330000', '999999', randomUUID(), 'x'.repeat(5000)),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }), // any code point, lone surrogates included
  fc.double(),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((n) => Number(n)),
);

function nested(depth: number, leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { a: value };
  return value;
}

/** Percent-encodes text for a URL; a lone surrogate has no UTF-8 form and goes as the bytes of one. */
function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return encodeURIComponent(text.replace(/[\ud800-\udfff]/g, '')) + '%ED%A0%80';
  }
}

describe('fuzzing every operation of the OpenAPI document', () => {
  let db: TestDatabase;
  let node: RunningNode;
  let operations: Operation[];
  let schemas: Record<string, Schema>;
  /** Ids that exist, so that generated requests also reach past the lookups. */
  const known: string[] = [];
  const namespace = testNamespace();

  beforeAll(async () => {
    db = await createTestDatabase('fuzz');
    node = await startInProcessNode({
      code: '330000',
      databaseUrl: db.url,
      natsUrl: SHARED_NATS_URL,
      natsNamespace: namespace,
      // The fuzzer is one client making thousands of requests: the rate limits would answer most of them.
      env: { SIGNIN_RATE_LIMIT: '1000000', SIGNIN_RATE_LIMIT_PER_ADDRESS: '1000000', PUBLIC_RATE_LIMIT: '1000000' },
    });
    const institution = await api(node.url, 'POST', '/api/v1/institutions', sampleInstitution());
    const entry = await api(node.url, 'POST', '/api/v1/catalog/entries', sampleEntry(institution.body.id));
    // Not the administrator itself: a generated password reset or role change would lock the fuzzer out.
    const account = await api(node.url, 'POST', '/api/v1/accounts', {
      username: 'fuzz.target',
      password: 'Fuzz-Target-Passw0rd',
      roles: [{ role: 'auditor' }],
    });
    expect([institution.status, entry.status, account.status]).toEqual([201, 201, 201]);
    known.push(institution.body.id, entry.body.id, account.body.id);
    const document = (await (await fetch(`${node.url}/api/docs-json`)).json()) as {
      paths: Record<string, Record<string, { parameters?: Operation['params']; requestBody?: { content: Record<string, { schema?: Schema }> } }>>;
      components: { schemas: Record<string, Schema> };
    };
    schemas = document.components.schemas;
    operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        params: op.parameters ?? [],
        body: op.requestBody?.content['application/json']?.schema,
      })),
    );
  });

  afterAll(async () => {
    await node?.stop();
    await db?.drop();
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
  });

  /** A value shaped by the schema: often valid, sometimes at its edges, now and then odd. */
  function shaped(schema: Schema, depth = 0): fc.Arbitrary<unknown> {
    if (schema.$ref) return shaped(schemas[schema.$ref.split('/').pop() as string], depth);
    const own = ((): fc.Arbitrary<unknown> => {
      if (schema.enum) return fc.constantFrom(...schema.enum);
      switch (schema.type) {
        case 'object': {
          const properties = Object.entries(schema.properties ?? {});
          const record = Object.fromEntries(properties.map(([name, child]) => [name, shaped(child, depth + 1)]));
          return fc.record(record, { requiredKeys: schema.required?.filter((name) => name in record) ?? [] });
        }
        case 'array':
          return fc.array(depth < 4 ? shaped(schema.items ?? {}, depth + 1) : odd, { maxLength: Math.min(schema.maxItems ?? 3, 3) });
        case 'integer':
          return fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000 });
        case 'number':
          return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
        case 'boolean':
          return fc.boolean();
        case 'string':
          if (schema.format === 'uuid') return fc.oneof(fc.uuid(), fc.constantFrom(...known));
          if (schema.format === 'date-time' || schema.format === 'date') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
          return fc.oneof(fc.string({ maxLength: Math.min(schema.maxLength ?? 40, 40) }), fc.constantFrom(...known, '330100', 'L1', 'data'));
        default:
          return odd;
      }
    })();
    const example = schema.example === undefined ? [] : [{ weight: 2, arbitrary: fc.constant(schema.example) }];
    return fc.oneof({ weight: 6, arbitrary: own }, ...example, { weight: 1, arbitrary: odd });
  }

  /** A value the schema's own examples (or first choices) put together: often a valid request. */
  function exampleOf(schema: Schema, depth = 0): unknown {
    if (schema.$ref) return exampleOf(schemas[schema.$ref.split('/').pop() as string], depth);
    if (schema.example !== undefined) return schema.example;
    if (schema.enum) return schema.enum[0];
    switch (schema.type) {
      case 'object':
        // The required properties and lists: other optional ones would need their own valid forms.
        return Object.fromEntries(
          Object.entries(schema.properties ?? {})
            .filter(([name, child]) => schema.required?.includes(name) || child.type === 'array')
            .map(([name, child]) => [name, exampleOf(child, depth + 1)]),
        );
      case 'array':
        return depth < 4 && schema.items ? [exampleOf(schema.items, depth + 1)] : [];
      case 'integer':
      case 'number':
        return Math.max(schema.minimum ?? 1, Math.min(schema.maximum ?? 1, 1));
      case 'boolean':
        return false;
      case 'string':
        return schema.format === 'uuid' ? known[0] : schema.format?.startsWith('date') ? new Date(0).toISOString() : 'fuzz';
      default:
        return null;
    }
  }

  /** Replaces one value somewhere inside `value` (or the whole of it) with `replacement`. */
  function plant(value: unknown, replacement: unknown, choice: number): unknown {
    const slots: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
    const pending = [value];
    while (pending.length > 0) {
      const current = pending.pop();
      if (current === null || typeof current !== 'object') continue;
      for (const [key, child] of Object.entries(current)) {
        slots.push({ parent: current as Record<string, unknown>, key });
        pending.push(child);
      }
    }
    if (slots.length === 0 || choice % (slots.length + 1) === slots.length) return replacement;
    const slot = slots[choice % (slots.length + 1)];
    (slot.parent as Record<string, unknown>)[slot.key] = replacement;
    return value;
  }

  function requests(op: Operation, kind: 'hostile' | 'wild'): fc.Arbitrary<Request> {
    const pathParams = op.params.filter((p) => p.in === 'path');
    const queryParams = op.params.filter((p) => p.in === 'query');
    const paramValue = (schema: Schema) => (kind === 'wild' ? shaped(schema) : fc.oneof(shaped(schema), invalid));
    // Hostile: the one always-refused value goes where this operation reads input.
    const target = op.body ? 'body' : pathParams.length > 0 ? 'path' : 'query';
    return fc.record({
      principal: fc.constantFrom<Request['principal']>('anonymous', 'admin'),
      path: fc.tuple(...pathParams.map((p) => paramValue(p.schema)), fc.nat()).map((values) => {
        const choice = values.pop() as number;
        if (kind === 'hostile' && target === 'path') values[choice % values.length] = '\ud800';
        return values.reduce<string>((path, value, i) => path.replace(`{${pathParams[i].name}}`, encode(String(value))), op.path);
      }),
      query: fc.tuple(...queryParams.map((p) => fc.option(paramValue(p.schema), { nil: undefined, freq: 1 })), fc.nat()).map((values) => {
        const choice = values.pop() as number;
        if (kind === 'hostile' && target === 'query' && queryParams.length > 0) values[choice % queryParams.length] = 'a\u0000b';
        const parts = values.flatMap((value, i) =>
          value === undefined ? [] : [`${queryParams[i].name}=${encode(typeof value === 'string' ? value : JSON.stringify(value))}`],
        );
        return parts.length ? `?${parts.join('&')}` : '';
      }),
      // Near-valid bodies (the examples, one value replaced at most) reach past the DTO checks.
      body: (op.body
        ? fc.tuple(
            fc.oneof(
              shaped(op.body),
              fc.constant(null).map(() => exampleOf(op.body as Schema)),
            ),
            kind === 'hostile' ? invalid : odd,
            fc.nat(),
            fc.boolean(),
          )
        : fc.constant(undefined)
      ).map((drawn) => {
        if (!drawn) return undefined;
        const [value, replacement, choice, plantIt] = drawn;
        return JSON.stringify(kind === 'hostile' || plantIt ? plant(value, replacement, choice) : value);
      }),
    });
  }

  async function send(op: Operation, request: Request): Promise<number> {
    const headers: Record<string, string> = request.body === undefined ? {} : { 'content-type': 'application/json' };
    if (request.principal === 'admin') headers.authorization = `Bearer ${await accessToken(node.url)}`;
    const response = await fetch(`${node.url}${request.path}${request.query}`, { method: op.method, headers, body: request.body });
    await response.arrayBuffer();
    return response.status;
  }

  /** Everything a request could create or change, the audit log aside (refusals are recorded). */
  async function state() {
    const tables = [
      'institution',
      'catalog_entry',
      'account',
      'account_role',
      'refresh_token',
      'outbox',
      'dataset_row',
      'return_request',
      'child_link',
      'known_node',
      'trust_list',
    ];
    const rows: Record<string, unknown[]> = {};
    for (const table of tables) rows[table] = await db.query(`SELECT * FROM ${table} ORDER BY 1`);
    return rows;
  }

  // Key rotation takes no input: fuzzing it as the administrator would only rotate the key again and again.
  const skipAsAdmin = (op: Operation) => op.method === 'POST' && op.path === '/api/v1/federation/key/rotate';

  async function check(op: Operation, kind: 'hostile' | 'wild'): Promise<void> {
    await fc.assert(
      fc.asyncProperty(requests(op, kind), async (request) => {
        if (request.principal === 'admin' && skipAsAdmin(op)) return;
        const status = await send(op, request);
        if (status >= 500 || (kind === 'hostile' && status < 400)) {
          throw new Error(`${op.method} ${request.path}${request.query} as ${request.principal} answered ${status}; body: ${request.body?.slice(0, 500)}`);
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
  }

  it('answers hostile input with a 4xx and changes nothing, as the public and as the administrator', async () => {
    const before = await state();
    for (const op of operations) {
      if (op.body || op.params.length > 0) await check(op, 'hostile'); // an operation without input has nothing to make hostile
      // Far deeper than any generated value, as raw text: what once overflowed the stack.
      if (op.body) {
        for (const principal of ['anonymous', 'admin'] as const) {
          const status = await send(op, {
            principal,
            path: op.path.replace(/\{[^}]+\}/g, known[1]),
            query: '',
            body: `{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
          });
          expect({ op: `${op.method} ${op.path}`, principal, status }).toEqual({ op: `${op.method} ${op.path}`, principal, status: 400 });
        }
      }
    }
    expect(await state()).toEqual(before);
  });

  it('never answers a 5xx to anything drawn from the schemas, valid or not', async () => {
    expect(operations.length).toBeGreaterThan(40); // the document was read, not an empty one
    for (const op of operations) await check(op, 'wild');
  });
});
