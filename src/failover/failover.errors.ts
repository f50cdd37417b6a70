export enum FailoverErrorCode {
  NotReplicated = 'FAILOVER_NOT_REPLICATED',
  NoCandidate = 'FAILOVER_NO_CANDIDATE',
  PositionUnknown = 'FAILOVER_POSITION_UNKNOWN',
  ApplyTimedOut = 'FAILOVER_APPLY_TIMED_OUT',
  InProgress = 'FAILOVER_IN_PROGRESS',
  UnknownServer = 'FAILOVER_UNKNOWN_SERVER',
  SwitchoverRefused = 'SWITCHOVER_REFUSED',
  StaleEpoch = 'FAILOVER_STALE_EPOCH',
  /** The zero-loss guard: the candidate lacks transactions the primary may have acknowledged. */
  LossPossible = 'FAILOVER_LOSS_POSSIBLE',
}
