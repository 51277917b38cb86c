import { DataSource } from 'typeorm';

/**
 * Creates the database named in `databaseUrl` when it does not exist yet, through the server's
 * `postgres` maintenance database (so a fresh machine needs no manual `createdb`). Returns true when
 * it created one.
 */
export async function ensureDatabaseExists(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name || name === 'postgres') return false;
  url.pathname = '/postgres';
  const admin = new DataSource({ type: 'postgres', url: url.toString(), poolSize: 1 });
  await admin.initialize();
  try {
    const rows: unknown[] = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rows.length > 0) return false;
    await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    return true;
  } finally {
    await admin.destroy();
  }
}
