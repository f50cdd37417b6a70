import type { RuntimeAccess } from '../../config/app-config';

/** The tokens in force for this process, resolved once at start. */
export abstract class AuthTokens {
  abstract readonly adminToken: string;
  abstract readonly runtimeToken?: string;
  abstract readonly runtimeAccess: RuntimeAccess;
}
