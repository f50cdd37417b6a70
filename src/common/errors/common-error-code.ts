/** Codes shared by every feature; features add their own enums beside their code. */
export enum CommonErrorCode {
  ValidationFailed = 'VALIDATION_FAILED',
  AuthenticationRequired = 'AUTHENTICATION_REQUIRED',
  InvalidToken = 'INVALID_TOKEN',
  RouteNotFound = 'ROUTE_NOT_FOUND',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType = 'UNSUPPORTED_MEDIA_TYPE',
  MalformedBody = 'MALFORMED_BODY',
  HttpError = 'HTTP_ERROR',
  InternalError = 'INTERNAL_ERROR',
  DatabaseUnavailable = 'DATABASE_UNAVAILABLE',
}
