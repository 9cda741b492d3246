import { ValidationError, ValidationPipe } from '@nestjs/common';

import { FieldError } from './problem';

/** Raised by the global ValidationPipe; the problem filter renders it as a 400 listing every field. */
export class RequestValidationError extends Error {
  constructor(readonly errors: FieldError[]) {
    super('The request has invalid fields');
    this.name = RequestValidationError.name;
  }
}

export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({
      field,
      // class-validator prefixes messages with the bare property name; the field says where it is.
      message: message.startsWith(`${error.property} `) ? message.slice(error.property.length + 1) : message,
    }));
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/**
 * Rejects unknown fields instead of stripping them silently, so a client that sends `roles` or `ownerId`
 * learns it cannot, and transforms payloads into their DTO classes.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new RequestValidationError(flattenValidationErrors(errors)),
  });
}
