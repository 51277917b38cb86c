import { DataSource, type DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from './entities';
import { PostgresNamingStrategy } from './naming-strategy';

/** The one definition of the database connection, shared by the API, the worker, the CLI and the tests. */
export function createDataSourceOptions(databaseUrl: string): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities: ENTITIES,
    // Imported classes rather than a glob, so ts (jest) and compiled js (dist/) load the same list.
    migrations: MIGRATIONS,
    migrationsTransactionMode: 'each',
    namingStrategy: new PostgresNamingStrategy(),
    synchronize: false,
    migrationsRun: false,
    logging: false,
    // A where-clause value that is undefined or null is an error, never a silently dropped filter.
    invalidWhereValuesBehavior: { undefined: 'throw', null: 'throw' },
  };
}

export function createDataSource(databaseUrl: string): DataSource {
  return new DataSource(createDataSourceOptions(databaseUrl));
}
