/** The metrics feature's own error codes (the 401s reuse the common ones). */
export enum MetricsErrorCode {
  LoopbackOnly = 'METRICS_LOOPBACK_ONLY',
}
