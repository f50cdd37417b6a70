import { Controller, type ExecutionContext, Post } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { LocalOnly } from '../common/http/forwarded-answer';
import { ClusterErrorCode } from './cluster.errors';
import { WriteGate, type WriteVerdict } from './write-gate';
import { WriteGateGuard } from './write-gate.guard';

@Controller('x')
class SomeController {
  @Post('write')
  write(): void {}

  @LocalOnly()
  @Post('log-level')
  setLogLevel(): void {}
}

@LocalOnly()
@Controller('y')
class LocalController {
  @Post('evict')
  evict(): void {}
}

class FakeGate extends WriteGate {
  current: WriteVerdict = { allowed: false, reason: 'this node has not reached etcd for 5 s' };
  readonly asked = jest.fn();

  verdict(): WriteVerdict {
    this.asked();
    return this.current;
  }
}

function contextFor(
  method: string,
  handler: (...args: never[]) => unknown = SomeController.prototype.write,
  controller: abstract new (...args: never[]) => unknown = SomeController,
): ExecutionContext {
  return {
    getHandler: () => handler,
    getClass: () => controller,
    switchToHttp: () => ({ getRequest: () => ({ method, url: '/x', headers: {} }) }),
  } as unknown as ExecutionContext;
}

describe('WriteGateGuard', () => {
  let gate: FakeGate;
  let guard: WriteGateGuard;

  beforeEach(() => {
    gate = new FakeGate();
    guard = new WriteGateGuard(new Reflector(), gate);
  });

  it.each(['GET', 'HEAD', 'OPTIONS'])(
    'lets %s through while writes are suspended, without asking the gate',
    (method) => {
      expect(guard.canActivate(contextFor(method))).toBe(true);
      expect(gate.asked).not.toHaveBeenCalled();
    },
  );

  it.each(['POST', 'PUT', 'PATCH', 'DELETE'])(
    'refuses %s while writes are suspended: 503 CLUSTER_WRITES_SUSPENDED with Retry-After and the reason',
    (method) => {
      let thrown: unknown;
      try {
        guard.canActivate(contextFor(method));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(DomainError);
      const error = thrown as DomainError;
      expect(error.code).toBe(ClusterErrorCode.WritesSuspended);
      expect(error.code).toBe('CLUSTER_WRITES_SUSPENDED');
      expect(error.kind).toBe(ErrorKind.Unavailable);
      expect(error.retryAfterSeconds).toBe(2);
      expect(error.message).toBe('writes are suspended: this node has not reached etcd for 5 s');
    },
  );

  it('lets writes through while the gate is open', () => {
    gate.current = { allowed: true, via: 'etcd' };
    expect(guard.canActivate(contextFor('POST'))).toBe(true);
    gate.current = { allowed: true, via: 'failsafe' };
    expect(guard.canActivate(contextFor('DELETE'))).toBe(true);
  });

  it('lets a @LocalOnly route through while writes are suspended (on the handler or the controller)', () => {
    expect(guard.canActivate(contextFor('POST', SomeController.prototype.setLogLevel))).toBe(true);
    expect(guard.canActivate(contextFor('POST', LocalController.prototype.evict, LocalController))).toBe(true);
    expect(gate.asked).not.toHaveBeenCalled();
  });
});
