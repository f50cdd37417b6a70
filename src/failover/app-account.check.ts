import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { messageOf } from '../common/errors/error-message';
import { DatabaseTopology } from '../database/topology/database-topology';
import { AppPool } from './app-pool';
import { ServerProbe } from './probes/server-probe';
import { addressOf } from './server-address';

/** Privileges that let an account write through `read_only = ON`, which would defeat fencing. */
const BYPASSES_READ_ONLY = [/\bSUPER\b/i, /\bREAD[ _]ONLY ADMIN\b/i, /\bALL PRIVILEGES ON \*\.\*/i];

export interface AppAccountResult {
  checked: boolean;
  /** True: read_only does not stop this account; fencing and standbys cannot protect the data. */
  bypassesReadOnly: boolean | null;
  offendingGrants: string[];
  error: string | null;
}

/**
 * At start, asks the primary what the app's own account may do globally. An account with
 * SUPER or READ ONLY ADMIN writes through read_only: a fenced old primary or a standby
 * would accept its writes. That is logged as an error on every start until fixed. A service
 * that started without its database checks once its pool opens (on the primary of that moment).
 */
@Injectable()
export class AppAccountCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger('AppAccountCheck');
  result: AppAccountResult = { checked: false, bypassesReadOnly: null, offendingGrants: [], error: null };

  constructor(
    private readonly topology: DatabaseTopology,
    private readonly probe: ServerProbe,
    private readonly pool: AppPool,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.topology.replicated) return;
    if (this.pool.switching) {
      this.result = { ...this.result, error: 'not checked yet: the database primary was not reachable at start' };
      void this.pool.whenOpen().then(() => this.check());
      return;
    }
    await this.check();
  }

  private async check(): Promise<void> {
    const endpoint = this.topology.primaryEndpoint();
    try {
      const grants = await this.probe.globalPrivilegesOf(addressOf(this.topology, this.topology.primaryKey), endpoint);
      const offending = grants.filter((grant) => BYPASSES_READ_ONLY.some((pattern) => pattern.test(grant)));
      this.result = { checked: true, bypassesReadOnly: offending.length > 0, offendingGrants: offending, error: null };
      if (offending.length > 0) {
        this.logger.error({
          msg: `DANGER: the app account ${endpoint.user} holds SUPER / READ ONLY ADMIN: read_only will NOT fence it, so a demoted primary or a standby would accept its writes. Revoke these privileges.`,
          grants: offending,
        });
      }
    } catch (error) {
      this.result = { checked: false, bypassesReadOnly: null, offendingGrants: [], error: messageOf(error) };
      this.logger.warn({ msg: 'could not check the app account privileges', err: this.result.error });
    }
  }
}
