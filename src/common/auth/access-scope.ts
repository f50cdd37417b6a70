import { SetMetadata } from '@nestjs/common';

/**
 * Who may call a route. Routes without a decorator are admin-only: forgetting the
 * decorator must fail closed, not open.
 */
export enum AccessScope {
  Open = 'open',
  Runtime = 'runtime',
  Admin = 'admin',
}

export const ACCESS_SCOPE_KEY = 'logic-ha:access-scope';

export const Access = (scope: AccessScope) => SetMetadata(ACCESS_SCOPE_KEY, scope);
