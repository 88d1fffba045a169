import fastJson from 'fast-json-stringify';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { $ZodType } from 'zod/v4/core';

type JsonSchema = Record<string, unknown>;
type Serialize = (data: unknown) => string;

/**
 * Response bodies serialized by code compiled once from each response schema
 * (fast-json-stringify), instead of a zod encode of the whole answer and a
 * JSON.stringify per request. The bytes are the same as the zod serializer's:
 * the JSON Schema is the one zod writes for the response (what the OpenAPI
 * document shows), keys stay in schema order, unknown keys are dropped as zod
 * drops them. A schema that JSON Schema cannot express (a transform) keeps the
 * zod serializer. With `check`, every answer is also serialized by zod and a
 * difference throws (the tests run so); without it the answer is not re-checked
 * against its schema at run time (TypeScript checks the handlers' results
 * against the same schemas).
 */
export function createResponseSerializerCompiler(options: { check?: boolean } = {}): FastifySerializerCompiler<unknown> {
  return (route) => {
    const schema = route.schema as unknown;
    const zodSchema = resolveZod(schema);
    const fast = zodSchema ? compiled(zodSchema) : null;
    if (fast && !options.check) return fast;
    const slow = zodSerializerCompiler(route as never) as Serialize;
    if (!fast) return slow;
    return (data) => {
      const want = slow(data);
      const got = fast(data);
      if (got !== want) throw new Error(`the compiled serializer of ${route.method} ${route.url} ${route.httpStatus} wrote ${got} where zod writes ${want}`);
      return got;
    };
  };
}

/** Schemas whose encoded value may differ from the value given (their JSON Schema says nothing of it): these keep zod's serializer. */
const REWRITING_TYPES = new Set<string>(['transform', 'pipe', 'default', 'prefault', 'catch', 'custom', 'lazy', 'promise', 'function']);

/** One compiled serializer per zod schema, shared by every app of the process; null when the schema has no JSON Schema form. */
const cache = new WeakMap<object, Serialize | null>();

function compiled(schema: z.ZodType): Serialize | null {
  if (cache.has(schema)) return cache.get(schema)!;
  let serialize: Serialize | null = null;
  try {
    let plain = true;
    const json = z.toJSONSchema(schema, {
      io: 'output',
      target: 'draft-07',
      override: ({ zodSchema }) => {
        if (REWRITING_TYPES.has(zodSchema._zod.def.type) || zodSchema._zod.def.checks?.some((c) => c._zod.def.check === 'overwrite')) plain = false;
      },
    }) as JsonSchema;
    if (!plain) throw new Error('the schema changes values as it encodes them');
    delete json.$schema;
    // Compiled on the first answer, not at start: most apps never answer most routes.
    let built: Serialize | null = null;
    const forFastJson = forFastJsonStringify(json);
    serialize = (data) => (built ??= build(schema, forFastJson))(data);
  } catch {
    serialize = null;
  }
  cache.set(schema, serialize);
  return serialize;
}

/** fast-json-stringify's code for `json`; zod's encode and JSON.stringify if it cannot compile it. */
function build(schema: z.ZodType, json: unknown): Serialize {
  try {
    return fastJson(json as never) as Serialize;
  } catch {
    return (data) => JSON.stringify(z.encode(schema, data as never));
  }
}

/** The zod schema of a response: itself, or in the `{properties}` form fastify-type-provider-zod also takes. */
function resolveZod(schema: unknown): z.ZodType | null {
  if (schema instanceof $ZodType) return schema as z.ZodType;
  const inner = (schema as { properties?: unknown } | null)?.properties;
  return inner instanceof $ZodType ? (inner as z.ZodType) : null;
}

/**
 * The JSON Schema rewritten where fast-json-stringify would otherwise write
 * other bytes or run slowly: `anyOf: [X, {type: null}]` (zod's nullable)
 * becomes X with `nullable: true` (an `anyOf` would run a validator per
 * value); an object whose required keys do not all come before its optional
 * ones loses `required` (fast-json-stringify writes required keys first,
 * zod writes them in schema order).
 */
export function forFastJsonStringify(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(forFastJsonStringify);
  if (schema === null || typeof schema !== 'object') return schema;
  let out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] = key === 'enum' || key === 'const' || key === 'default' || key === 'examples' ? value : forFastJsonStringify(value);
  }
  const anyOf = out.anyOf as JsonSchema[] | undefined;
  if (Array.isArray(anyOf) && anyOf.length === 2 && anyOf.some(isNull)) {
    const other = anyOf.find((s) => !isNull(s))!;
    if (other.$ref === undefined && other.nullable === undefined) {
      const { anyOf: _, ...siblings } = out;
      out = { ...siblings, ...other, nullable: true };
    }
  }
  if (out.properties && Array.isArray(out.required)) {
    const required = new Set(out.required as string[]);
    const keys = Object.keys(out.properties);
    const firstOptional = keys.findIndex((k) => !required.has(k));
    if (firstOptional !== -1 && keys.slice(firstOptional).some((k) => required.has(k))) delete out.required;
  }
  return out;
}

function isNull(schema: JsonSchema): boolean {
  return schema.type === 'null' && Object.keys(schema).length === 1;
}
