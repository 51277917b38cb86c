import type { DataSource } from 'typeorm';
import { defined } from '../../support/defined';

/** A query's rows, typed as the columns it selects (the driver returns them untyped). */
export function queryRows<T>(dataSource: DataSource, sql: string, parameters: unknown[] = []): Promise<T[]> {
  return dataSource.query<T[]>(sql, parameters);
}

/** The first row a query returns; a query that returns none fails the test. */
export async function queryRow<T>(
  dataSource: DataSource,
  sql: string,
  parameters: unknown[] = [],
): Promise<T> {
  const [row] = await queryRows<T>(dataSource, sql, parameters);
  return defined(row, `a row from ${sql}`);
}
