/**
 * Errors the domain raises, each mapped to one HTTP status in one place (shared/platform/http.ts).
 * Anything else is a bug and becomes a plain 500 without internals.
 */
export interface FieldError {
  /** JSON-pointer-like path of the offending field, e.g. `events/3/amount` or `header/If-Match`. */
  path: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly status: number;
  abstract readonly title: string;
  readonly headers: Record<string, string> = {};

  /**
   * Set by each class as a literal: bundles are minified without keepNames (it cost 15 KB and an init
   * call per function), so a class's own name would not survive.
   */
  abstract override name: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class ValidationError extends DomainError {
  override name = 'ValidationError';
  readonly status: number = 400;
  readonly title: string = 'Invalid request';
  constructor(
    readonly errors: FieldError[],
    message = errors.map((e) => `${e.path}: ${e.message}`).join('; '),
  ) {
    super(message);
  }
  static field<T extends ValidationError>(
    this: new (
      errors: FieldError[],
    ) => T,
    path: string,
    message: string,
  ): T {
    return new this([{ path, message }]);
  }
}

/** Well-formed but not processable: e.g. an event for a customer that does not exist. */
export class UnprocessableError extends ValidationError {
  override name = 'UnprocessableError';
  override readonly status = 422;
  override readonly title = 'Unprocessable content';
}

export class UnauthorizedError extends DomainError {
  override name = 'UnauthorizedError';
  readonly status = 401;
  readonly title = 'Unauthorized';
  override readonly headers = { 'WWW-Authenticate': 'Bearer realm="cohort"' };
}

export class ForbiddenError extends DomainError {
  override name = 'ForbiddenError';
  readonly status = 403;
  readonly title = 'Forbidden';
}

export class NotFoundError extends DomainError {
  override name = 'NotFoundError';
  readonly status = 404;
  readonly title = 'Not found';
}

export class MethodNotAllowedError extends DomainError {
  override name = 'MethodNotAllowedError';
  readonly status = 405;
  readonly title = 'Method not allowed';
}

export class ConflictError extends DomainError {
  override name = 'ConflictError';
  readonly status = 409;
  readonly title = 'Conflict';
}

/** A conflict the caller resolves by changing named fields (e.g. which externalId a merge keeps). */
export class FieldConflictError extends ValidationError {
  override name = 'FieldConflictError';
  override readonly status = 409;
  override readonly title = 'Conflict';
}

export class GoneError extends DomainError {
  override name = 'GoneError';
  readonly status = 410;
  readonly title = 'Gone';
}

export class PreconditionFailedError extends DomainError {
  override name = 'PreconditionFailedError';
  readonly status = 412;
  readonly title = 'Precondition failed';
}

export class PayloadTooLargeError extends DomainError {
  override name = 'PayloadTooLargeError';
  readonly status = 413;
  readonly title = 'Content too large';
}

export class UnsupportedMediaTypeError extends DomainError {
  override name = 'UnsupportedMediaTypeError';
  readonly status = 415;
  readonly title = 'Unsupported media type';
}

export class PreconditionRequiredError extends DomainError {
  override name = 'PreconditionRequiredError';
  readonly status = 428;
  readonly title = 'Precondition required';
}

export class TooManyRequestsError extends DomainError {
  override name = 'TooManyRequestsError';
  readonly status = 429;
  readonly title = 'Too many requests';
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.headers['Retry-After'] = String(retryAfterSeconds);
  }
}

/** A dependency (a channel provider) cannot take the request now; retrying later may work. */
export class ServiceUnavailableError extends DomainError {
  override name = 'ServiceUnavailableError';
  readonly status = 503;
  readonly title = 'Service unavailable';
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.headers['Retry-After'] = String(retryAfterSeconds);
  }
}
