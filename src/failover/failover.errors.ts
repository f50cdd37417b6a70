export enum FailoverErrorCode {
  NotReplicated = 'FAILOVER_NOT_REPLICATED',
  NoCandidate = 'FAILOVER_NO_CANDIDATE',
  PositionUnknown = 'FAILOVER_POSITION_UNKNOWN',
  ApplyTimedOut = 'FAILOVER_APPLY_TIMED_OUT',
  InProgress = 'FAILOVER_IN_PROGRESS',
  UnknownServer = 'FAILOVER_UNKNOWN_SERVER',
  SwitchoverRefused = 'SWITCHOVER_REFUSED',
  StaleEpoch = 'FAILOVER_STALE_EPOCH',
  /** Rejoin: the server is the primary or a standby, not fenced. */
  NotFenced = 'REJOIN_NOT_FENCED',
  /** Rejoin: it holds transactions the primary lacks (details name them). */
  ErrantTransactions = 'REJOIN_ERRANT_TRANSACTIONS',
  /** Rejoin or reclone cannot start (another one runs, no account, no usable backup). */
  RejoinRefused = 'REJOIN_REFUSED',
  /** Rejoin was tried and did not finish; the server stays fenced. */
  RejoinFailed = 'REJOIN_FAILED',
  /** Rejoin could not reach the server (or the primary): 503, try again; it stays fenced. */
  RejoinUnavailable = 'REJOIN_UNAVAILABLE',
  RejoinJobNotFound = 'REJOIN_JOB_NOT_FOUND',
  /** The zero-loss guard: the candidate lacks transactions the primary may have acknowledged. */
  LossPossible = 'FAILOVER_LOSS_POSSIBLE',
}
