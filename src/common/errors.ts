/** Typed domain errors. Services throw these; the one exception filter maps them to HTTP. */
export abstract class DomainError extends Error {
  abstract readonly statusCode: number;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A missing id, or an id of another team: both answer the same 404. */
export class NotFoundError extends DomainError {
  readonly statusCode = 404;
}

/** A state conflict: a duplicate name, a rollout already running, a deployment not in the right status. */
export class ConflictError extends DomainError {
  readonly statusCode = 409;
}

/** Well-formed but impossible to satisfy (e.g. batch sizing against the minimum-healthy budget). */
export class UnprocessableError extends DomainError {
  readonly statusCode = 422;
}

/** A request that fails a rule only the service can check; `messages` each name the field. */
export class ValidationFailedError extends DomainError {
  readonly statusCode = 400;

  constructor(readonly messages: string[]) {
    super(messages.join('; '));
  }
}

export class UnauthorizedError extends DomainError {
  readonly statusCode = 401;
}

/** A valid token used beyond its scope. */
export class ForbiddenError extends DomainError {
  readonly statusCode = 403;
}

/** An address that keeps failing authentication; `retryAfterSeconds` goes into `Retry-After`. */
export class TooManyRequestsError extends DomainError {
  readonly statusCode = 429;

  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
