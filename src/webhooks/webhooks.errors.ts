export enum WebhookErrorCode {
  UnknownEndpoint = 'WEBHOOK_UNKNOWN_ENDPOINT',
}
