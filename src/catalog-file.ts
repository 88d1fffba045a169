import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { PutPackBody, PutPlanBody } from './http/routes/plans.js';
import { PutToolBody } from './http/routes/tools.js';
import { Id } from './http/schemas.js';
import { putTool } from './service/catalog.js';
import type { ServiceContext } from './service/context.js';
import { putPack, putPlan } from './service/plans.js';

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
