import type { AppConfig } from '../../config/app-config';
import { resolveScratchTarget } from './scratch-target';

const SUFFIX = '_logic_ha_restore_check';

function configFor(database: string): AppConfig {
  const primary = { host: '10.0.0.1', port: 3306, user: 'app', password: 'secret', database };
  return {
    database: { type: 'mysql', primary, standbys: [] },
    backup: { testRestoreTarget: null },
    monitorAccount: { user: 'backup', password: 'backup-secret' },
  } as unknown as AppConfig;
}

describe('resolveScratchTarget', () => {
  it('puts the scratch database beside the app database, through the backup account', () => {
    expect(resolveScratchTarget(configFor('logic_ha'))).toEqual({
      endpoint: expect.objectContaining({ database: `logic_ha${SUFFIX}`, user: 'backup' }),
      unlogged: true,
      liveServers: [expect.objectContaining({ host: '10.0.0.1', database: 'logic_ha' })],
    });
  });

  it('leaves a configured URL to the identity check: the live servers go along, unlogged is decided later', () => {
    const config = configFor('logic_ha');
    const url = { host: 'db.example', port: 3306, user: 'u', password: 'p', database: 'logic_ha' };
    (config.backup as { testRestoreTarget: unknown }).testRestoreTarget = url;
    expect(resolveScratchTarget(config)).toEqual({
      endpoint: url,
      unlogged: false,
      liveServers: [expect.objectContaining({ host: '10.0.0.1', database: 'logic_ha' })],
    });
  });

  it('refuses when the truncated scratch name is the app database itself', () => {
    const app = `${'a'.repeat(64 - SUFFIX.length)}${SUFFIX}`;
    expect(app).toHaveLength(64);
    expect(() => resolveScratchTarget(configFor(app))).toThrow(/would be the app database/);
  });
});
