export enum HealthErrorCode {
  NotReady = 'NOT_READY',
}
