import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { PutPackBody, PutPlanBody } from './http/routes/plans.js';
import { PutToolBody } from './http/routes/tools.js';
import { Id } from './http/schemas.js';
import type { Pack, Plan, Tool } from './domain/types.js';
import { putTool, toolFromInput } from './service/catalog.js';
import type { ServiceContext } from './service/context.js';
import { errors } from './service/errors.js';
import { packFromInput, planFromInput, putPack, putPlan } from './service/plans.js';

/**
 * The catalog as code: tools, plans and packs declared in a JSON file with the
 * very shapes the API's PUT routes take, so a price change can be reviewed in a
 * pull request and applied at start.
 */
export const CatalogFile = z.strictObject({
  $schema: z.string().optional(),
  tools: z.record(Id, PutToolBody).default({}),
  plans: z.record(Id, PutPlanBody).default({}),
  packs: z.record(Id, PutPackBody).default({}),
});
export type CatalogFile = z.infer<typeof CatalogFile>;

export class CatalogFileError extends Error {}

export function readCatalogFile(path: string): CatalogFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CatalogFileError(`${path}: ${(err as Error).message}`);
  }
  const parsed = CatalogFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CatalogFileError(`${path}: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

/** Creates or updates everything the file declares; what it does not name is left alone. */
export async function applyCatalog(ctx: ServiceContext, catalog: CatalogFile): Promise<{ tools: number; plans: number; packs: number }> {
  for (const [id, tool] of Object.entries(catalog.tools)) await putTool(ctx, id, tool);
  for (const [id, plan] of Object.entries(catalog.plans)) await putPlan(ctx, id, plan);
  for (const [id, pack] of Object.entries(catalog.packs)) await putPack(ctx, id, pack);
  return { tools: Object.keys(catalog.tools).length, plans: Object.keys(catalog.plans).length, packs: Object.keys(catalog.packs).length };
}

/** One thing `purse catalog apply` would change, with each field's old and new value. */
export interface CatalogChange {
  kind: 'tool' | 'plan' | 'pack';
  id: string;
  /** `deactivate`: in the database and active, but no longer in the file; kept, never deleted. */
  action: 'create' | 'update' | 'deactivate';
  fields: { field: string; from: unknown; to: unknown }[];
}

/** The fields a catalog file decides; ids and timestamps are the database's. */
const FIELDS = {
  tool: ['name', 'credits', 'unit', 'description', 'holdSeconds', 'refundPolicy', 'reportWindowHours', 'active'],
  plan: ['name', 'creditsPerPeriod', 'period', 'price', 'rolloverMax', 'limits', 'freeRetriesPerPeriod', 'maxReportsPerDay', 'description', 'active'],
  pack: ['name', 'credits', 'price', 'expiresInDays', 'description', 'active'],
} as const;

export interface CurrentCatalog {
  tools: Tool[];
  plans: Plan[];
  packs: Pack[];
}

/**
 * What applying `file` to `current` changes: items to create, fields to update,
 * and active items the file no longer names, to deactivate. Items already as the
 * file says are left out, so applying writes nothing for them.
 */
export function diffCatalog(current: CurrentCatalog, file: CatalogFile): CatalogChange[] {
  const now = 0;
  return [
    ...diffKind('tool', current.tools, file.tools, (id, input, before) => toolFromInput(id, input, before, now)),
    ...diffKind('plan', current.plans, file.plans, (id, input, before) => planFromInput(id, input, before, now)),
    ...diffKind('pack', current.packs, file.packs, (id, input, before) => packFromInput(id, input, before, now)),
  ];
}

function diffKind<T extends Tool | Plan | Pack, I>(
  kind: CatalogChange['kind'],
  current: T[],
  declared: Record<string, I>,
  build: (id: string, input: I, before: T | null) => T,
): CatalogChange[] {
  const fields = FIELDS[kind] as readonly string[];
  const byId = new Map(current.map((item) => [item.id, item]));
  const changes: CatalogChange[] = [];
  for (const [id, input] of Object.entries(declared)) {
    const before = byId.get(id) ?? null;
    const after = build(id, input, before) as unknown as Record<string, unknown>;
    if (!before) {
      changes.push({ kind, id, action: 'create', fields: fields.map((field) => ({ field, from: null, to: after[field] })) });
      continue;
    }
    const was = before as unknown as Record<string, unknown>;
    const changed = fields.filter((f) => stable(was[f]) !== stable(after[f])).map((field) => ({ field, from: was[field], to: after[field] }));
    if (changed.length > 0) changes.push({ kind, id, action: 'update', fields: changed });
  }
  for (const item of current) {
    if (item.active && !(item.id in declared)) changes.push({ kind, id: item.id, action: 'deactivate', fields: [{ field: 'active', from: true, to: false }] });
  }
  return changes;
}

/** JSON with sorted keys, so `{currency, amount}` equals `{amount, currency}`. */
function stable(value: unknown): string {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${stable((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * Makes the database's catalog what `file` declares (`purse catalog apply`):
 * creates and updates what it names, through the same service calls as the
 * PUT routes, and deactivates what it no longer names. Nothing is deleted: past
 * generations, subscriptions and purchases keep pointing at what they used.
 */
export async function applyCatalogFile(ctx: ServiceContext, file: CatalogFile): Promise<CatalogChange[]> {
  const current = await readCurrentCatalog(ctx);
  const changes = diffCatalog(current, file);
  // Refuse before writing anything, rather than halfway through.
  const newPeriod = changes.find((c) => c.kind === 'plan' && c.action === 'update' && c.fields.some((f) => f.field === 'period'));
  if (newPeriod) throw errors.invalid(`plans.${newPeriod.id}.period`, 'a plan keeps its period; create a new plan for another period');
  for (const change of changes) {
    if (change.kind === 'tool') {
      const input = change.action === 'deactivate' ? { ...current.tools.find((t) => t.id === change.id)!, active: false } : file.tools[change.id]!;
      await putTool(ctx, change.id, input);
    } else if (change.kind === 'plan') {
      const plan = current.plans.find((p) => p.id === change.id);
      const input = change.action === 'deactivate' ? { ...plan!, rollover: { max: plan!.rolloverMax }, limits: plan!.limits, active: false } : file.plans[change.id]!;
      await putPlan(ctx, change.id, input);
    } else {
      const input = change.action === 'deactivate' ? { ...current.packs.find((p) => p.id === change.id)!, active: false } : file.packs[change.id]!;
      await putPack(ctx, change.id, input);
    }
  }
  return changes;
}

export async function readCurrentCatalog(ctx: ServiceContext): Promise<CurrentCatalog> {
  const [tools, plans, packs] = await Promise.all([ctx.store.listTools(), ctx.store.listPlans(), ctx.store.listPacks()]);
  return { tools, plans, packs };
}
