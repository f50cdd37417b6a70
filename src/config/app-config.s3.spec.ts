import { loadAppConfig } from './app-config.factory';
import { ConfigValidationError } from './config-validation.error';

const CWD = '/srv/logic-ha';
const S3 = { BACKUP_STORAGE: 's3', BACKUP_S3_BUCKET: 'backups-prod' };

function problemsOf(env: Record<string, string>): string {
  try {
    loadAppConfig(env, CWD);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.message;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadAppConfig: BACKUP_STORAGE=s3', () => {
  it('has no S3 settings on local storage', () => {
    expect(loadAppConfig({}, CWD).backup).toMatchObject({ storage: 'local', s3: undefined });
  });

  it('defaults: no prefix, the SDK chain for region and credentials, when_required checksums, 8 attempts', () => {
    expect(loadAppConfig(S3, CWD).backup.s3).toEqual({
      bucket: 'backups-prod',
      prefix: '',
      region: undefined,
      endpoint: undefined,
      forcePathStyle: false,
      credentials: undefined,
      checksumCalculation: 'when_required',
      checksumValidation: 'when_required',
      maxAttempts: 8,
    });
  });

  it('takes every setting; the prefix gets its slash, an endpoint without a region signs for us-east-1', () => {
    const config = loadAppConfig(
      {
        ...S3,
        BACKUP_S3_PREFIX: 'logic-ha/prod',
        BACKUP_S3_ENDPOINT: 'http://127.0.0.1:9000/',
        BACKUP_S3_FORCE_PATH_STYLE: 'true',
        BACKUP_S3_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        BACKUP_S3_SECRET_ACCESS_KEY: 'secret-example-key',
        BACKUP_S3_CHECKSUM_CALCULATION: 'when_supported',
        BACKUP_S3_CHECKSUM_VALIDATION: 'when_supported',
        BACKUP_S3_MAX_ATTEMPTS: '3',
      },
      CWD,
    ).backup.s3;
    expect(config).toEqual({
      bucket: 'backups-prod',
      prefix: 'logic-ha/prod/',
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret-example-key' },
      checksumCalculation: 'when_supported',
      checksumValidation: 'when_supported',
      maxAttempts: 3,
    });
    expect(loadAppConfig({ ...S3, BACKUP_S3_REGION: 'eu-west-3' }, CWD).backup.s3?.region).toBe('eu-west-3');
  });

  it.each([
    [{ BACKUP_STORAGE: 's3' }, /BACKUP_S3_BUCKET: is required when BACKUP_STORAGE=s3/],
    [{ ...S3, BACKUP_S3_BUCKET: 'Has_Upper' }, /BACKUP_S3_BUCKET: must be an S3 bucket name/],
    [{ ...S3, BACKUP_S3_PREFIX: '/abs' }, /BACKUP_S3_PREFIX: must be an object key prefix/],
    [{ ...S3, BACKUP_S3_PREFIX: 'a b' }, /BACKUP_S3_PREFIX: must be an object key prefix/],
    [{ ...S3, BACKUP_S3_REGION: 'EU WEST' }, /BACKUP_S3_REGION: must be a region name/],
    [{ ...S3, BACKUP_S3_ENDPOINT: 'minio:9000' }, /BACKUP_S3_ENDPOINT: must be an http:\/\/ or https:\/\/ URL/],
    [{ ...S3, BACKUP_S3_FORCE_PATH_STYLE: 'yes' }, /BACKUP_S3_FORCE_PATH_STYLE: must be one of .*true, false/],
    [{ ...S3, BACKUP_S3_CHECKSUM_CALCULATION: 'always' }, /BACKUP_S3_CHECKSUM_CALCULATION: .*when_required/],
    [{ ...S3, BACKUP_S3_CHECKSUM_VALIDATION: 'never' }, /BACKUP_S3_CHECKSUM_VALIDATION: .*when_supported/],
    [{ ...S3, BACKUP_S3_MAX_ATTEMPTS: '0' }, /BACKUP_S3_MAX_ATTEMPTS: must not be less than 1/],
    [{ ...S3, BACKUP_S3_MAX_ATTEMPTS: '21' }, /BACKUP_S3_MAX_ATTEMPTS: must not be greater than 20/],
    [
      { ...S3, BACKUP_S3_ACCESS_KEY_ID: 'AKID' },
      /BACKUP_S3_SECRET_ACCESS_KEY: is required when BACKUP_S3_ACCESS_KEY_ID/,
    ],
    [
      { ...S3, BACKUP_S3_SECRET_ACCESS_KEY: 'x' },
      /BACKUP_S3_ACCESS_KEY_ID: is required when BACKUP_S3_SECRET_ACCESS_KEY/,
    ],
    [{ BACKUP_S3_BUCKET: 'backups-prod' }, /BACKUP_S3_BUCKET: needs BACKUP_STORAGE=s3/],
    [{ BACKUP_S3_ENDPOINT: 'http://127.0.0.1:9000' }, /BACKUP_S3_ENDPOINT: needs BACKUP_STORAGE=s3/],
  ])('refuses %j', (env, expected) => {
    expect(problemsOf(env as Record<string, string>)).toMatch(expected);
  });

  it('never echoes the secret key', () => {
    const message = problemsOf({ BACKUP_S3_SECRET_ACCESS_KEY: 'do-not-print-me', BACKUP_S3_MAX_ATTEMPTS: 'lots' });
    expect(message).toMatch(/BACKUP_S3_SECRET_ACCESS_KEY/);
    expect(message).not.toContain('do-not-print-me');
  });
});
