import { CatalogFileError } from './catalog-file.js';
import { ConfigError, redactDatabaseUrl, type Config } from './config.js';

type SystemError = Error & { code?: string; errors?: unknown[]; syscall?: string; port?: number };

/** Where a PostgreSQL URL points, for messages: `host:port/db`, never the password. */
function postgresTarget(url: string): { where: string; database: string } {
  try {
    const u = new URL(url);
    const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || u.username || 'postgres';
    return { where: `${u.hostname || 'localhost'}:${u.port || '5432'}`, database };
  } catch {
    return { where: redactDatabaseUrl(url), database: '?' };
  }
}

/**
 * The one line printed when Purse cannot start: what is wrong and what to do.
 * Known causes (configuration, a port in use, PostgreSQL down, a missing
 * database, refused credentials, an SQLite file that cannot be opened) are
 * named; anything else is its message, without the stack.
 */
export function explainStartError(err: unknown, config: Pick<Config, 'databaseUrl' | 'port' | 'host' | 'metricsPort'> | null): string {
  if (err instanceof ConfigError || err instanceof CatalogFileError) return `Configuration error: ${err.message}`;
  const e = (err ?? {}) as SystemError;
  const code = e.code ?? (e.errors?.[0] as SystemError | undefined)?.code;
  const message = redact(e.message || String(err), config);
  if (!config) return `Purse could not start: ${message}`;
  const postgres = /^postgres(ql)?:\/\//.test(config.databaseUrl);
  const pg = postgres ? postgresTarget(config.databaseUrl) : null;
  switch (code) {
    case 'EADDRINUSE': {
      const port = e.port ?? config.port;
      const which = port === config.metricsPort ? 'PURSE_METRICS_PORT' : 'PORT';
      return `Port ${port} on ${config.host} is already in use: stop whatever listens there, or set ${which} to a free port.`;
    }
    case 'EADDRNOTAVAIL':
      return `Cannot listen on ${config.host}: this machine has no such address; set HOST (127.0.0.1, or 0.0.0.0 for every interface).`;
    case 'ECONNREFUSED':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
      if (pg) return `Cannot reach PostgreSQL at ${pg.where} (${code}): start it, or point PURSE_DATABASE_URL at a running server.`;
      break;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      if (pg) return `Cannot find the PostgreSQL host in PURSE_DATABASE_URL (${pg.where}): check the host name.`;
      break;
    case '3D000':
      if (pg) return `The PostgreSQL database "${pg.database}" does not exist on ${pg.where}: create it (createdb ${pg.database}), or fix PURSE_DATABASE_URL.`;
      break;
    case '28P01':
    case '28000':
      if (pg) return `PostgreSQL at ${pg.where} refused the user in PURSE_DATABASE_URL (${code}): check the user name and password.`;
      break;
    case 'SQLITE_CANTOPEN':
    case 'EACCES':
    case 'EROFS':
      if (e.syscall === 'listen') return `Not allowed to listen on port ${e.port ?? config.port} (${code}): use a port above 1023, or set PORT.`;
      if (!postgres) return `Cannot open the SQLite database ${config.databaseUrl} (${code}): check that this user may write its folder, or set PURSE_DATABASE_URL.`;
      break;
    case 'SQLITE_NOTADB':
    case 'SQLITE_CORRUPT':
      return `${config.databaseUrl} is not a Purse SQLite database (${code}): point PURSE_DATABASE_URL at the right file.`;
  }
  return `Purse could not start: ${message}${code ? ` (${code})` : ''}`;
}

/** Removes the database password from any text about to be printed. */
function redact(text: string, config: Pick<Config, 'databaseUrl'> | null): string {
  if (!config) return text;
  const safe = redactDatabaseUrl(config.databaseUrl);
  return safe === config.databaseUrl ? text : text.replaceAll(config.databaseUrl, safe);
}
