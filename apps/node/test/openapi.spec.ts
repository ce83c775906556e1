// The node's OpenAPI document: Redocly's recommended rules (redocly.yaml) find nothing in it;
// every operation has a summary, typed parameters and typed answers; the document built without a
// node (scripts/openapi-export.mjs) is the one a node serves; and what a live node answers, at
// every status it gives here, is declared for that operation and matches the declared schema.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { OpenAPIObject } from '@nestjs/swagger';
import { authHeaders, createTestDatabase, deleteNamespaceStreams, SHARED_NATS_URL, TestDatabase, testNamespace } from '@tdx/testing';
import { previewOpenApiDocument } from '../src/openapi';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleEntry, sampleInstitution } from './support/samples';

const ROOT = resolve(__dirname, '../../..');
const REDOCLY = join(ROOT, 'node_modules/@redocly/cli/bin/cli.js');
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  nullable?: boolean;
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  anyOf?: Schema[];
  allOf?: Schema[];
  oneOf?: Schema[];
}

interface Operation {
  summary?: string;
  parameters?: { name: string; in: string; schema?: Schema }[];
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

function operationsOf(document: OpenAPIObject): { key: string; path: string; method: string; op: Operation }[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => (item as Record<string, unknown>)[method]).map((method) => ({
      key: `${method.toUpperCase()} ${path}`,
      path,
      method,
      op: (item as Record<string, Operation>)[method],
    })),
  );
}

describe('the OpenAPI document', () => {
  let document: OpenAPIObject;
  let schemas: Record<string, Schema>;

  beforeAll(async () => {
    document = await previewOpenApiDocument();
    schemas = (document.components?.schemas ?? {}) as Record<string, Schema>;
  });

  it("passes Redocly's recommended rules without an error or a warning", () => {
    const dir = mkdtempSync(join(tmpdir(), 'tdx-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(document));
      const run = spawnSync(process.execPath, [REDOCLY, 'lint', file, '--config', join(ROOT, 'redocly.yaml'), '--format=json'], {
        encoding: 'utf8',
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        timeout: 60_000,
      });
      const report = JSON.parse(run.stdout) as {
        totals: { errors: number; warnings: number };
        problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[];
      };
      const problems = report.problems.map((p) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
      expect(problems).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
      expect(run.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives every operation a summary, typed parameters, a typed answer, and refusals in the one refusal shape', () => {
    const operations = operationsOf(document);
    expect(operations.length).toBeGreaterThan(40);
    const faults: string[] = [];
    for (const { key, op } of operations) {
      if (!op.summary?.trim()) faults.push(`${key}: no summary`);
      for (const p of op.parameters ?? []) {
        const s = p.schema ?? {};
        if (!s.type && !s.enum && !s.$ref) faults.push(`${key}: parameter ${p.name} has no type`);
      }
      const statuses = Object.keys(op.responses);
      const success = statuses.filter((s) => /^2\d\d$/.test(s));
      if (success.length === 0) faults.push(`${key}: no 2xx answer`);
      for (const status of success) {
        if (status === '204') continue;
        const contents = Object.values(op.responses[status].content ?? {});
        if (contents.length === 0 || contents.some((c) => !c.schema)) faults.push(`${key}: ${status} has no schema`);
      }
      for (const status of statuses.filter((s) => /^[45]\d\d$/.test(s))) {
        const schema = op.responses[status].content?.['application/json']?.schema;
        const refs = [schema?.$ref, ...(schema?.anyOf ?? []).map((s) => s.$ref)];
        if (!refs.includes('#/components/schemas/ErrorViewDto') && !(status === '503' && refs.includes('#/components/schemas/HealthViewDto'))) {
          faults.push(`${key}: ${status} is not in the refusal shape`);
        }
      }
    }
    expect(faults).toEqual([]);
    // The refusal shape of a 422 names the rule, its article and every refusal.
    expect(Object.keys(schemas.ErrorViewDto.properties ?? {})).toEqual(expect.arrayContaining(['rule', 'article', 'refusals', 'fields']));
  });

  describe('at a live node', () => {
    let db: TestDatabase;
    let node: RunningNode;
    const namespace = testNamespace();
    const checked: string[] = [];

    beforeAll(async () => {
      db = await createTestDatabase('openapi');
      node = await startInProcessNode({ code: '330000', databaseUrl: db.url, natsUrl: SHARED_NATS_URL, natsNamespace: namespace });
    });

    afterAll(async () => {
      await node?.stop();
      await db?.drop();
      await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
    });

    it('serves the document built without a node', async () => {
      const served = await (await fetch(`${node.url}/api/docs-json`)).json();
      expect(served).toEqual(JSON.parse(JSON.stringify(document)));
    });

    /** Sends a request as the administrator, and checks its status is declared and its body matches the declared schema. */
    async function conforming(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; id: string }> {
      const response = await fetch(`${node.url}${path}`, {
        method,
        headers: { ...(await authHeaders(node.url)), ...(body === undefined ? {} : { 'content-type': contentType }) },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      const answer = text ? JSON.parse(text) : undefined;
      const op = operationFor(method, path.split('?')[0]);
      const declared = op.responses[String(response.status)];
      expect({ request: `${method} ${path}`, status: response.status, declared: declared !== undefined }).toEqual({
        request: `${method} ${path}`,
        status: response.status,
        declared: true,
      });
      const schema = declared.content?.['application/json']?.schema;
      if (schema)
        expect({ request: `${method} ${path}`, mismatches: mismatches(answer, schema, '$') }).toEqual({ request: `${method} ${path}`, mismatches: [] });
      else expect(answer).toBeUndefined();
      checked.push(`${method} ${response.status}`);
      return { status: response.status, id: String((answer as { id?: unknown } | undefined)?.id) };
    }

    function operationFor(method: string, path: string): Operation {
      const found = operationsOf(document).find(
        (o) => o.method === method.toLowerCase() && new RegExp(`^${o.path.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path),
      );
      if (!found) throw new Error(`no operation in the document for ${method} ${path}`);
      return found.op;
    }

    /** Where `value` departs from `schema`: a wrong type, a missing required member, or a member the schema does not declare. */
    function mismatches(value: unknown, schema: Schema, at: string): string[] {
      if (schema.$ref) return mismatches(value, schemas[schema.$ref.split('/').pop() as string], at);
      if (schema.anyOf || schema.oneOf) {
        const options = (schema.anyOf ?? schema.oneOf) as Schema[];
        return options.some((s) => mismatches(value, s, at).length === 0) ? [] : [`${at}: matches none of its ${options.length} shapes`];
      }
      if (value === null) return schema.nullable ? [] : [`${at}: null, not ${schema.type ?? 'declared nullable'}`];
      // Nest wraps a reference that has its own description or nullability in allOf.
      if (schema.allOf) return schema.allOf.flatMap((s) => mismatches(value, s, at));
      if (schema.enum && !schema.enum.includes(value)) return [`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`];
      switch (schema.type) {
        case 'string':
          if (typeof value !== 'string') return [`${at}: not a string`];
          return schema.format === 'date-time' && Number.isNaN(Date.parse(value)) ? [`${at}: not a date-time`] : [];
        case 'integer':
          return Number.isInteger(value) ? [] : [`${at}: not an integer`];
        case 'number':
          return typeof value === 'number' ? [] : [`${at}: not a number`];
        case 'boolean':
          return typeof value === 'boolean' ? [] : [`${at}: not a boolean`];
        case 'array':
          return Array.isArray(value) ? value.flatMap((item, i) => mismatches(item, schema.items ?? {}, `${at}[${i}]`)) : [`${at}: not an array`];
        case 'object': {
          if (typeof value !== 'object' || Array.isArray(value)) return [`${at}: not an object`];
          const record = value as Record<string, unknown>;
          const declared = schema.properties ?? {};
          const missing = (schema.required ?? []).filter((name) => !(name in record)).map((name) => `${at}.${name}: missing`);
          const undeclared = schema.additionalProperties
            ? []
            : Object.keys(record)
                .filter((name) => !(name in declared))
                .map((name) => `${at}.${name}: not declared`);
          const inner = Object.entries(record).flatMap(([name, v]) => (declared[name] ? mismatches(v, declared[name], `${at}.${name}`) : []));
          return [...missing, ...undeclared, ...inner];
        }
        default:
          return [`${at}: the schema has no type`];
      }
    }

    it('answers every operation tried here as the document declares, refusals included', async () => {
      await conforming('GET', '/health');
      await conforming('GET', '/health/live');
      await conforming('GET', '/api/v1/node');
      await conforming('GET', '/api/v1/auth/me');
      await conforming('GET', '/api/v1/metrics/history?series=http-requests&hours=1');
      await conforming('GET', '/api/v1/metrics/history?series=nope&hours=1');
      await conforming('GET', '/api/v1/accounts');
      const account = await conforming('POST', '/api/v1/accounts', {
        username: 'openapi.user',
        password: 'OpenApi-User-Passw0rd',
        roles: [{ role: 'auditor' }],
      });
      expect(account.status).toBe(201);
      await conforming('GET', `/api/v1/accounts/${account.id}`);
      await conforming('POST', `/api/v1/accounts/${account.id}/disable`);
      await conforming('POST', '/api/v1/accounts', { username: 'openapi.user', password: 'OpenApi-User-Passw0rd', roles: [{ role: 'auditor' }] }); // 409

      const institution = await conforming('POST', '/api/v1/institutions', sampleInstitution());
      expect(institution.status).toBe(201);
      await conforming('GET', '/api/v1/institutions?limit=1');
      const entry = await conforming('POST', '/api/v1/catalog/entries', sampleEntry(institution.id));
      expect(entry.status).toBe(201);
      await conforming('POST', '/api/v1/catalog/entries/bulk', { entries: [sampleEntry(institution.id, { name: 'Licences' })] });
      await conforming('GET', `/api/v1/catalog/entries/${entry.id}`);
      await conforming('PATCH', `/api/v1/catalog/entries/${entry.id}`, { summary: 'Registered enterprises, with their licences' });
      await conforming('GET', '/api/v1/catalog/entries?limit=1');
      await conforming('GET', '/api/v1/catalog/entries/00000000-0000-4000-8000-000000000000'); // 404
      await conforming('GET', '/api/v1/catalog/entries/not-a-uuid'); // 400
      await conforming('POST', '/api/v1/catalog/entries', sampleEntry(institution.id, { grade: 'L4', openType: 'unconditional' })); // 422
      await conforming('GET', '/api/v1/open/catalog');

      const csv = 'row_key,region_code,uscc,legal_person_id\nk1,330000,913300001,330102199001011234\n';
      const load = await conforming('POST', `/api/v1/datasets/${entry.id}/rows`, csv, 'text/csv');
      expect(load.status).toBe(200);
      await conforming('POST', `/api/v1/datasets/${entry.id}/rows`, 'row_key,region_code,uscc\nk1,999999\n', 'text/csv'); // 400 by line
      await conforming('GET', `/api/v1/datasets/${entry.id}`);
      await conforming('GET', `/api/v1/datasets/${entry.id}/rows`);
      await conforming('DELETE', `/api/v1/datasets/${entry.id}/rows/k1`);
      await conforming('POST', `/api/v1/datasets/${entry.id}/rows/delete`, { rowKeys: ['absent'] }); // 404
      await conforming('DELETE', `/api/v1/catalog/entries/${entry.id}`);

      await conforming('GET', '/api/v1/federation/status');
      await conforming('GET', '/api/v1/federation/digest');
      await conforming('GET', '/api/v1/federation/nodes');
      await conforming('GET', '/api/v1/federation/trust-list');
      await conforming('POST', '/api/v1/federation/nodes/330100/revoke', { reason: 'no such node' }); // 404
      await conforming('GET', '/api/v1/returns/requests');
      await conforming('GET', '/api/v1/returns/jobs');
      await conforming('GET', '/api/v1/audit?limit=3');
      await conforming('GET', '/api/v1/audit/verify');

      // The statuses this walk met: answers and each kind of refusal it provoked.
      expect(new Set(checked.map((c) => c.split(' ')[1]))).toEqual(new Set(['200', '201', '400', '404', '409', '422']));
    });
  });
});
