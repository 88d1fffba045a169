import { parseArgs } from 'node:util';
import { applyCatalogFile, CatalogFileError, diffCatalog, readCatalogFile, readCurrentCatalog, type CatalogChange } from '../catalog-file.js';
import type { ServiceContext } from '../service/context.js';
import { CliError, type CliIo } from './context.js';

/**
 * `purse catalog diff FILE` shows what applying a catalog file would change;
 * `purse catalog apply FILE` applies it: creates and updates what it names,
 * deactivates (never deletes) tools, plans and packs it no longer names.
 */
export async function catalogCommand(ctx: ServiceContext, io: CliIo, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
  const [sub, path] = positionals;
  const json = values.json;
  if ((sub !== 'diff' && sub !== 'apply') || !path) throw new CliError('catalog takes diff FILE or apply FILE', 2);
  let file;
  try {
    file = readCatalogFile(path);
  } catch (err) {
    if (err instanceof CatalogFileError) throw new CliError(err.message, 2);
    throw err;
  }
  const changes = sub === 'diff' ? diffCatalog(await readCurrentCatalog(ctx), file) : await applyCatalogFile(ctx, file);
  if (json) {
    io.out(JSON.stringify({ applied: sub === 'apply', changes }, null, 2));
    return 0;
  }
  for (const change of changes) io.out(describeChange(change));
  if (changes.length === 0) io.out(`The catalog already matches ${path}.`);
  else io.out(sub === 'diff' ? `${changes.length} changes; \`purse catalog apply ${path}\` makes them.` : `Applied ${changes.length} changes.`);
  return 0;
}

function describeChange(c: CatalogChange): string {
  const show = (v: unknown) => JSON.stringify(v);
  if (c.action === 'create') return `+ ${c.kind} ${c.id}: ${c.fields.map((f) => `${f.field} ${show(f.to)}`).join(', ')}`;
  if (c.action === 'deactivate') return `- ${c.kind} ${c.id}: deactivated (kept, no longer offered)`;
  return `~ ${c.kind} ${c.id}: ${c.fields.map((f) => `${f.field} ${show(f.from)} → ${show(f.to)}`).join(', ')}`;
}
