import { ConfigError, readDatabaseUrl } from '../config.js';
import { PurseError } from '../service/errors.js';
import { catalogCommand } from './catalog.js';
import { CliError, describeDatabase, openService, type CliIo } from './context.js';
import { grantCommand, voidCommand } from './credits.js';
import { customersCommand } from './customers.js';
import { backupCommand, distributeCommand, ledgerCheck, migrateCommand, restoreCommand } from './database.js';
import { keysCommand } from './keys.js';

export const USAGE = `Usage: purse COMMAND
  keys create NAME                 create a secret API key (shown once)
  keys list                        list API keys (prefixes only)
  keys revoke ID                   revoke an API key
  customers find QUERY [--json]    customers whose id, email or name contains QUERY
  customers show ID [--json]       a customer and its balance
  grant CUSTOMER AMOUNT --reason TEXT [--source bonus|adjustment] [--expires-at ISO] [--idempotency-key KEY]
  void GRANT --reason TEXT         take back what is left of a grant
  ledger check                     recompute every balance from the ledger and compare
  backup FILE                      consistent copy of a live SQLite database
  restore FILE [--force]           put a SQLite backup back (server stopped)
  migrate [--status] [--json]      apply pending migrations, or list applied and pending ones
  distribute                       lay a migrated PostgreSQL database out on Citus (coordinator; idempotent)
  catalog diff FILE [--json]       what applying a catalog file would change
  catalog apply FILE [--json]      apply it; what it no longer names is deactivated
The database is PURSE_DATABASE_URL (default sqlite:./data/purse.db).`;

/**
 * The operator's `purse` command: runs one command against PURSE_DATABASE_URL
 * and returns the exit code (0 done, 1 refused or failed, 2 usage). Writes go
 * through the service layer, as the API's do, so the ledger stays right.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    io.out(USAGE);
    return command ? 0 : 2;
  }
  try {
    const url = readDatabaseUrl(io.env);
    // With --json, stdout is the JSON alone (for jq); the database goes to stderr.
    (args.includes('--json') ? io.err : io.out)(`Database: ${describeDatabase(url)}`);
    if (command === 'backup') return await backupCommand(url, io, args);
    if (command === 'restore') return await restoreCommand(url, io, args);
    if (command === 'migrate') return await migrateCommand(url, io, args);
    if (command === 'distribute') return await distributeCommand(url, io);
    const run = commands[command === 'ledger-check' ? 'ledger' : command];
    if (!run) throw new CliError(`unknown command ${command}\n${USAGE}`, 2);
    if (command === 'ledger' && args[0] !== 'check') throw new CliError('ledger takes check', 2);
    const ctx = await openService(url, io.env);
    try {
      return await run(ctx, io, args);
    } finally {
      await ctx.store.close();
    }
  } catch (err) {
    if (err instanceof CliError) {
      io.err(err.message);
      return err.exitCode;
    }
    if (err instanceof PurseError) {
      io.err(`${err.code}: ${err.message}`);
      return err.code === 'invalid_request' ? 2 : 1;
    }
    if (err instanceof ConfigError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      io.err((err as Error).message);
      return 2;
    }
    throw err;
  }
}

type Command = (ctx: Awaited<ReturnType<typeof openService>>, io: CliIo, args: string[]) => Promise<number>;

const commands: Record<string, Command> = {
  keys: keysCommand,
  customers: customersCommand,
  grant: grantCommand,
  void: voidCommand,
  ledger: (ctx, io) => ledgerCheck(ctx.store, io),
  catalog: catalogCommand,
};
