import { InvalidArgumentError } from 'commander';

/** `--batch`: `25%` is a percentage of the application's servers, `3` a number of servers. */
export interface BatchSize {
  batchSize: number;
  batchSizeIsPercentage: boolean;
}

const WHOLE = /^[0-9]+$/;
const DECIMAL = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;

export function parseBatch(value: string): BatchSize {
  const text = value.trim();
  const percentage = text.endsWith('%');
  const digits = percentage ? text.slice(0, -1) : text;
  if (!WHOLE.test(digits)) {
    throw new InvalidArgumentError('Give a percentage of the servers (25%) or a number of servers (3).');
  }
  const size = Number(digits);
  if (percentage && (size < 1 || size > 100)) {
    throw new InvalidArgumentError('A percentage must be from 1% to 100%.');
  }
  if (!percentage && size < 1) throw new InvalidArgumentError('A batch has at least 1 server.');
  return { batchSize: size, batchSizeIsPercentage: percentage };
}

/** Seconds, possibly fractional (`0.5`), never negative. */
export function parseSeconds(value: string): number {
  if (!DECIMAL.test(value.trim()))
    throw new InvalidArgumentError('Give a number of seconds, e.g. 30 or 0.5.');
  return Number(value);
}

/** A whole number of at least `min`. */
export function wholeNumber(min: number): (value: string) => number {
  return (value) => {
    const text = value.trim();
    if (!WHOLE.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text))) {
      throw new InvalidArgumentError(`Give a whole number of at least ${min}.`);
    }
    return Number(text);
  };
}

export const parsePort = (value: string): number => {
  const port = wholeNumber(1)(value);
  if (port > 65535) throw new InvalidArgumentError('A port is from 1 to 65535.');
  return port;
};

/** A deployment id: a positive whole number. */
export function parseId(value: string): number {
  return wholeNumber(1)(value);
}

/** `K=V` collected into an object, for repeated `--env`. */
export function collectEnv(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('Give NAME=VALUE.');
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/** `a,b c` → `['a', 'b', 'c']`, for lists given in one or several arguments. */
export function splitList(values: readonly string[]): string[] {
  return values.flatMap((value) => value.split(/[\s,]+/)).filter((item) => item !== '');
}
