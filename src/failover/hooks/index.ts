/** Failover hooks (docs/failover-hooks.md): used inside the failover feature only. */
export { CommandRunner } from './command-runner';
export { ShellCommandRunner } from './shell-command-runner';
export { FailoverHooks } from './failover-hooks';
export { PreFailoverGate } from './pre-failover-gate';
export { PostFailoverHooks } from './post-failover-hooks';
