import { createConfig, lintFromString } from '@redocly/openapi-core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPurse, uid, type TestPurse } from '../helpers.js';

type Operation = {
  operationId?: string;
  summary?: string;
  description?: string;
  requestBody?: { content: Record<string, { examples?: Record<string, { value: unknown }>; example?: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
};
type Doc = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };

let p: TestPurse;
let doc: Doc;
const operations = () => Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method, path, op })));

beforeAll(async () => {
  // Stripe configured and the test clock on: every route the server can have is in the document.
  p = await startTestPurse({ payments: 'stripe', stripe: { secretKey: 'sk_test_docs', webhookSecret: 'whsec_docs', publicUrl: 'http://127.0.0.1:3000' } });
  const res = await p.call('GET', '/openapi.json', undefined, { auth: null });
  expect(res.status).toBe(200);
  doc = res.body;
});
afterAll(async () => p.close());

describe('the OpenAPI document', () => {
  it('lists the whole API, each operation with an operationId, a summary and a description', () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(35);
    for (const { method, path, op } of ops) {
      expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z]+$/);
      expect(op.summary, `${method} ${path}`).toBeTruthy();
      expect(op.description?.length ?? 0, `${method} ${path}`).toBeGreaterThan(10);
    }
    const ids = ops.map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['reserveGeneration', 'completeGeneration', 'failGeneration', 'getBalance', 'receiveStripeEvent', 'moveTestClock']));
  });

  it('describes every response, and JSON bodies by schemas that resolve to objects', () => {
    for (const { method, path, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        expect(response.description, `${method} ${path} ${status}`).not.toBe('Default Response');
        expect(response.description.length, `${method} ${path} ${status}`).toBeGreaterThan(5);
      }
    }
    // The reason /docs showed "string" everywhere: components carried a fragment $id that re-based their $refs.
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      expect(schema, name).not.toHaveProperty('$id');
      expect(schema, name).toMatchObject({ type: 'object' });
    }
    const reserved = doc.paths['/v1/generations']!.post!.responses['201']!.content!['application/json']!.schema;
    expect(reserved).toEqual({ $ref: '#/components/schemas/Generation' });
    expect(doc.components.schemas.Generation).toMatchObject({ properties: { status: { enum: ['reserved', 'completed', 'failed'] } } });
    expect(Object.keys(doc.components.schemas).filter((n) => n.endsWith('Input'))).toEqual([]);
  });

  it('marks a request body required only where the route needs one', () => {
    const required = (path: string, method: string) => (doc.paths[path]![method]!.requestBody as { required?: boolean }).required;
    expect(required('/v1/generations', 'post')).toBe(true);
    expect(required('/v1/generations/{id}/extend', 'post')).toBe(true);
    expect(required('/v1/generations/{id}/complete', 'post')).toBe(false);
    expect(required('/v1/generations/{id}/fail', 'post')).toBe(false);
    expect(required('/v1/customers/{customerId}/subscription', 'delete')).toBe(false);
    expect(JSON.stringify(doc)).not.toContain('x-purse-');
  });

  it('passes the Redocly linter with no problem', async () => {
    const config = await createConfig({
      extends: ['recommended-strict'],
      rules: {
        // Examples inside component schemas are checked too, not only the request and response examples.
        'no-invalid-schema-examples': 'error',
        // Purse declares no license yet.
        'info-license': 'off',
        // The public reads (/healthz, /metrics, /v1/pricing) take no input and have no client error to document.
        'operation-4xx-response': 'off',
        'rule/operation-description': {
          subject: { type: 'Operation', property: 'description' },
          assertions: { defined: true, minLength: 10 },
          message: 'Every operation says what it does in a description',
          severity: 'error',
        },
        'rule/response-description': {
          subject: { type: 'Response', property: 'description' },
          assertions: { notPattern: '^Default Response$' },
          message: 'Every response says what it means',
          severity: 'error',
        },
      },
    } as never);
    const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: 'openapi.json', config });
    expect(problems.map((x) => `${x.severity} ${x.ruleId}: ${x.message} at ${x.location[0]?.pointer}`)).toEqual([]);
  });

  it('the linter would catch an example that breaks its schema', async () => {
    const broken = structuredClone(doc);
    broken.paths['/v1/generations']!.post!.requestBody!.content['application/json']!.examples!.example!.value = { customerId: 'u_42', toolId: 'text-to-image', units: 'two' };
    const config = await createConfig({ extends: ['recommended-strict'] } as never);
    const problems = await lintFromString({ source: JSON.stringify(broken), absoluteRef: 'openapi.json', config });
    expect(problems.map((x) => x.ruleId)).toContain('no-invalid-media-type-examples');
  });

  it('every request example is accepted by its route (never 400 invalid_request)', async () => {
    let sent = 0;
    for (const { method, path, op } of operations()) {
      const media = op.requestBody?.content['application/json'];
      if (!media) continue;
      const example = media.examples?.example?.value ?? media.example;
      expect(example, `${method} ${path} has a request example`).toBeDefined();
      const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => uid(name.replace(/Id$/, '')));
      const res = await p.call(method.toUpperCase(), url, example);
      expect(res.body?.error?.code, `${method} ${path}: ${JSON.stringify(res.body)}`).not.toBe('invalid_request');
      expect(res.status, `${method} ${path}`).toBeLessThan(500);
      sent++;
    }
    expect(sent).toBeGreaterThan(15);
  });

  it('generates a typed client with openapi-typescript that compiles and types the API', async () => {
    const types = astToString(await openapiTS(doc as never, { silent: true }));
    const dir = mkdtempSync(join(tmpdir(), 'purse-openapi-'));
    try {
      writeFileSync(join(dir, 'purse-api.ts'), types);
      // Uses the generated types as a client would; each @ts-expect-error fails the compile if the types are too loose.
      writeFileSync(
        join(dir, 'use.ts'),
        `import type { components, operations, paths } from './purse-api';
type Reserve = paths['/v1/generations']['post'];
export const body: Reserve['requestBody']['content']['application/json'] = { customerId: 'u_42', toolId: 'text-to-image', units: 2 };
type Generation = components['schemas']['Generation'];
export const status: Generation['status'] = 'reserved';
export const cost = (g: Reserve['responses'][201]['content']['application/json']): number => g.cost;
export const available = (b: operations['getBalance']['responses'][200]['content']['application/json']): number => b.available + b.breakdown.length;
export const refused = (e: Reserve['responses'][402]['content']['application/json']): string => e.error.code;
export const noBody: operations['completeGeneration']['requestBody'] = undefined;
// @ts-expect-error a reservation needs its body
export const noReserveBody: Reserve['requestBody'] = undefined;
// @ts-expect-error units is a number
export const wrongUnits: Reserve['requestBody']['content']['application/json'] = { customerId: 'u_42', toolId: 't', units: 'two' };
// @ts-expect-error customerId is required
export const noCustomer: Reserve['requestBody']['content']['application/json'] = { toolId: 't' };
// @ts-expect-error a generation is reserved, completed or failed
export const wrongStatus: Generation['status'] = 'pending';
// @ts-expect-error error codes are a closed set
export const wrongCode: components['schemas']['Error']['error']['code'] = 'oops';
`,
      );
      const program = ts.createProgram([join(dir, 'use.ts')], {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        types: [],
      });
      const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(diagnostics).toEqual([]);
      expect(types).toContain('reserveGeneration');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
