import { type ExecutionContext } from '@nestjs/common';
import { type Reflector } from '@nestjs/core';
import type { RuntimeAccess } from '../../config/app-config';
import { type DomainError } from '../errors/domain-error';
import { AccessScope } from './access-scope';
import { AuthGuard } from './auth.guard';

const ADMIN = 'admin-token-0123456789';
const RUNTIME = 'runtime-token-0123456789';

function contextFor(authorization?: string): ExecutionContext {
  return {
    getHandler: () => undefined,
    getClass: () => undefined,
    switchToHttp: () => ({ getRequest: () => ({ headers: { authorization } }) }),
  } as unknown as ExecutionContext;
}

function guard(scope: AccessScope | undefined, runtimeAccess: RuntimeAccess = 'token'): AuthGuard {
  const reflector = { getAllAndOverride: () => scope } as unknown as Reflector;
  return new AuthGuard(reflector, { adminToken: ADMIN, runtimeToken: RUNTIME, runtimeAccess });
}

function outcome(g: AuthGuard, authorization?: string): string {
  try {
    return g.canActivate(contextFor(authorization)) ? 'allowed' : 'denied';
  } catch (error) {
    return (error as DomainError).code;
  }
}

describe('AuthGuard', () => {
  it.each([
    [AccessScope.Open, undefined, 'allowed'],
    [AccessScope.Admin, undefined, 'AUTHENTICATION_REQUIRED'],
    [AccessScope.Admin, `Bearer ${ADMIN}`, 'allowed'],
    [AccessScope.Admin, `Bearer ${RUNTIME}`, 'INVALID_TOKEN'],
    [AccessScope.Admin, 'Bearer wrong', 'INVALID_TOKEN'],
    [AccessScope.Runtime, undefined, 'AUTHENTICATION_REQUIRED'],
    [AccessScope.Runtime, `Bearer ${RUNTIME}`, 'allowed'],
    [AccessScope.Runtime, `Bearer ${ADMIN}`, 'allowed'],
    [AccessScope.Runtime, 'Bearer wrong', 'INVALID_TOKEN'],
    // A route that forgot its decorator is admin-only.
    [undefined, `Bearer ${RUNTIME}`, 'INVALID_TOKEN'],
    [undefined, `Bearer ${ADMIN}`, 'allowed'],
  ])('scope %s with %s -> %s', (scope, header, expected) => {
    expect(outcome(guard(scope), header)).toBe(expected);
  });

  it.each<[RuntimeAccess, string]>([
    ['loopback-open', 'allowed'],
    ['none', 'allowed'],
    ['token', 'AUTHENTICATION_REQUIRED'],
  ])('runtime routes without a token under %s access -> %s', (access, expected) => {
    expect(outcome(guard(AccessScope.Runtime, access))).toBe(expected);
  });

  it('keeps admin routes closed when runtime routes are open', () => {
    expect(outcome(guard(AccessScope.Admin, 'none'))).toBe('AUTHENTICATION_REQUIRED');
  });
});
