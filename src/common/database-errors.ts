import { QueryFailedError } from 'typeorm';

interface PgDriverError {
  code?: string;
  constraint?: string;
}

function pgError(error: unknown): PgDriverError | null {
  if (!(error instanceof QueryFailedError)) return null;
  return error.driverError as PgDriverError;
}

/** Postgres 23505, optionally on one named constraint or unique index. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const pg = pgError(error);
  return pg?.code === '23505' && (constraint === undefined || pg.constraint === constraint);
}

/** Postgres 23503: a row is still referenced (or references a missing row). */
export function isForeignKeyViolation(error: unknown): boolean {
  return pgError(error)?.code === '23503';
}
