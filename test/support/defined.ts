/**
 * The value, or a failure naming what is missing. For tests that read an element of an array or a map
 * (`noUncheckedIndexedAccess` types it as possibly undefined): an absent one fails the test clearly.
 */
export function defined<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`expected ${what}, found none`);
  return value;
}
