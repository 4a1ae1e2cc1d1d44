import { describeFieldErrors, type FieldErrors } from './validation.js'

/**
 * The few failures the product names. `status` is what the API answers; only
 * errors with `expose` show their message to the caller, everything else is a
 * plain "Server Error" and goes to the log.
 */
export class AppError extends Error {
  readonly status: number = 500
  readonly expose: boolean = false
}

export class ValidationError extends AppError {
  override readonly status = 422
  override readonly expose = true

  constructor(
    readonly errors: FieldErrors,
    message = 'The given data was invalid.',
  ) {
    super(message)
  }
}

export class BadRequestError extends AppError {
  override readonly status = 400
  override readonly expose = true
}

export class UnauthorizedError extends AppError {
  override readonly status = 401
  override readonly expose = true

  constructor(message = 'Unauthenticated.') {
    super(message)
  }
}

export class ForbiddenError extends AppError {
  override readonly status = 403
  override readonly expose = true

  constructor(message = 'This action is unauthorized.') {
    super(message)
  }
}

export class NotFoundError extends AppError {
  override readonly status = 404
  override readonly expose = true

  constructor(message = 'Not found.') {
    super(message)
  }
}

/** The request clashes with the current state; `errors` names the fields when some do. */
export class UnsupportedMediaTypeError extends AppError {
  override readonly status = 415
  override readonly expose = true

  constructor(message = 'Unsupported content type: send application/json.') {
    super(message)
  }
}

export class ConflictError extends AppError {
  override readonly status = 409
  override readonly expose = true

  constructor(
    message: string,
    readonly errors?: FieldErrors,
  ) {
    super(message)
  }
}

/** A store the request needs does not answer; the caller may retry. */
export class UnavailableError extends AppError {
  override readonly status = 503
  override readonly expose = true

  constructor(message = 'Service Unavailable', options?: ErrorOptions) {
    super(message, options)
  }
}

/** Bad environment: the process refuses to start and names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly errors: FieldErrors) {
    super(`Invalid configuration: ${describeFieldErrors(errors)}`)
  }
}
