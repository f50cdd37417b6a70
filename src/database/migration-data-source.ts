import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadAppConfigOrExit } from '../config/load-or-exit';
import { buildDataSourceOptions, ensureDatabaseDirectory } from './data-source-options.factory';

/**
 * Entry point of the TypeORM CLI (`npm run migration:run|revert|show`): the same
 * configuration and options factory as the app, migrations applied only on command.
 */
const config = loadAppConfigOrExit(process.env);
ensureDatabaseDirectory(config.database);

export default new DataSource(buildDataSourceOptions({ database: config.database, runMigrationsOnInit: false }));
