import { ValidationPipe } from '@nestjs/common';
import { ValidationFailedError } from '../errors';

/**
 * The global pipe: unknown fields are refused, every bad field is reported, and nothing is converted
 * implicitly (`"5"` is not a number, `"yes"` is not a boolean). Messages name the field, nested ones
 * by their path (`loadBalancer.drainSeconds must not be less than 0`).
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailedError(flattenMessages(errors)),
  });
}

interface ErrorNode {
  property: string;
  constraints?: Record<string, string>;
  children?: ErrorNode[];
}

/** `{ property: 'loadBalancer', children: [{ property: 'x', constraints }] }` → `loadBalancer.x …`. */
export function flattenMessages(errors: ErrorNode[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([rule, message]) => {
      if (rule === 'whitelistValidation') return `property ${path} should not exist`;
      return parent ? `${parent}.${message}` : message;
    });
    return [...own, ...flattenMessages(error.children ?? [], path)];
  });
}
