import { ValidationPipe } from '@nestjs/common';
import { ValidationFailedError } from '../errors';

/**
 * The global pipe: unknown fields are refused, every bad field is reported, and nothing is converted
 * implicitly (`"5"` is not a number, `"yes"` is not a boolean). Messages name the field, nested ones
 * by their path (`loadBalancer.drainSeconds must not be less than 0`).
 */
export function createValidationPipe(): ValidationPipe {
  return new ProtoKeyRefusingValidationPipe({
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

const PROTO_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

/**
 * Nest deletes `__proto__`, `prototype` and `constructor` keys silently (against prototype pollution), which
 * would store `env: { constructor: "x" }` as `{}`. A body with such a key is refused instead, naming it.
 */
class ProtoKeyRefusingValidationPipe extends ValidationPipe {
  protected override stripProtoKeys(value: unknown): void {
    const path = protoKeyPath(value, '');
    if (path !== null) throw new ValidationFailedError([`property ${path} should not exist`]);
    super.stripProtoKeys(value);
  }
}

function protoKeyPath(value: unknown, parent: string): string | null {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return null;
  for (const [key, entry] of Object.entries(value)) {
    const path = parent === '' ? key : `${parent}.${key}`;
    if (PROTO_KEYS.has(key)) return path;
    const nested = protoKeyPath(entry, path);
    if (nested !== null) return nested;
  }
  return null;
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
