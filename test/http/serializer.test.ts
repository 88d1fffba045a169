import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as schemas from '../../src/http/schemas.js';
import { createResponseSerializerCompiler } from '../../src/http/serializer.js';

type Serialize = (data: unknown) => string;
const route = (schema: unknown) => ({ schema, method: 'GET', url: '/t', httpStatus: '200' });
const compiled = (schema: unknown) => createResponseSerializerCompiler()(route(schema) as never) as Serialize;
const byZod = (schema: unknown) => zodSerializerCompiler(route(schema) as never) as Serialize;

/** Every exported view (response) schema with the examples the OpenAPI document shows. */
const views = Object.entries(schemas).filter(([name, s]) => name.endsWith('View') && s instanceof z.ZodType) as [string, z.ZodType][];

const generation = (schemas.GenerationView.meta() as { examples: Record<string, unknown>[] }).examples[0]!;

describe('the compiled response serializer', () => {
  it('writes the bytes zod writes for every view example', () => {
    let examples = 0;
    for (const [name, schema] of views) {
      for (const example of (schema.meta() as { examples?: unknown[] } | undefined)?.examples ?? []) {
        expect(compiled(schema)(example), name).toBe(byZod(schema)(example));
        examples++;
      }
    }
    expect(examples).toBeGreaterThanOrEqual(10);
  });

  it('writes the same bytes for awkward values: escapes, unicode, lone surrogates, nulls, nested metadata, unknown keys', () => {
    const awkward = [
      generation,
      { ...generation, id: 'a"b\\c\n\t\u0000\u001f', customerId: 'ü🎨\u2028\u2029', toolId: '\ud800x\udfff', failureMessage: '</script>'.repeat(20), failureReason: 'other' },
      { ...generation, metadata: null, chargedUnits: null, reportedAt: null, memberId: null, settledAt: null },
      { ...generation, metadata: { nested: { deep: [1, 'two', null, { three: true }] }, 'key with "quotes"': 'v', skipped: undefined, n: -0, big: 1e21 } },
      { ...generation, notInSchema: 'dropped', allocations: [{ grantId: 'g', amount: 3, extra: 1 }] },
      { ...generation, allocations: [] },
    ];
    const fast = compiled(schemas.GenerationView);
    const slow = byZod(schemas.GenerationView);
    for (const value of awkward) expect(fast(value)).toBe(slow(value));
  });

  it('keeps schema order when an optional key comes before a required one', () => {
    const schema = z.object({ a: z.string(), b: z.number().optional(), c: z.string().nullable(), d: z.boolean().optional() });
    for (const value of [{ c: 'x', a: 'y', b: 1, d: false }, { c: null, a: 'y' }, { a: 'y', c: 'z', d: true }]) {
      expect(compiled(schema)(value)).toBe(byZod(schema)(value));
    }
  });

  it('keeps zod for a schema that changes values as it encodes them', () => {
    const trimmed = z.object({ name: z.string().trim() });
    expect(compiled(trimmed)({ name: '  x  ' })).toBe('{"name":"x"}');
  });

  it('with check, fails an answer zod refuses, which the compiled code alone would write', () => {
    // A string given where the schema says integer: the compiled code would write it as a number, zod refuses it.
    const schema = z.object({ n: z.number().int() });
    const checked = createResponseSerializerCompiler({ check: true })(route(schema) as never) as Serialize;
    expect(() => checked({ n: '5' })).toThrow();
    expect(compiled(schema)({ n: '5' })).toBe('{"n":5}');
  });
});
