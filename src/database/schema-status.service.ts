import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SchemaHistory } from './migrator/schema-history';

export interface SchemaStatus {
  /** Migration names applied to the connected database, oldest first. */
  applied: string[];
  /** Known migrations not applied yet (the app applies them at start). */
  pending: string[];
  /** The logic-solution schema version the newest applied migration reproduces. */
  logicSolutionVersion: string | null;
}

@Injectable()
export class SchemaStatusService {
  constructor(private readonly dataSource: DataSource) {}

  /** Works on a database without migration history too (all known migrations pending). */
  async status(): Promise<SchemaStatus> {
    const applied = (await new SchemaHistory(this.dataSource).applied()).map((migration) => migration.name);
    const appliedSet = new Set(applied);
    // TypeORM names a migration after its class unless it sets `name` itself.
    const known = this.dataSource.migrations.map((m) => ({ name: m.name ?? m.constructor.name, migration: m }));
    const pending = known.filter((k) => !appliedSet.has(k.name)).map((k) => k.name);
    const logicSolutionVersion =
      [...known]
        .reverse()
        .filter((k) => appliedSet.has(k.name))
        .map((k) => (k.migration as { schemaVersion?: string }).schemaVersion)
        .find((version) => version !== undefined && !version.startsWith('ha-')) ?? null;
    return { applied, pending, logicSolutionVersion };
  }
}
