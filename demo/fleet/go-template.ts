import { CliError } from './cli-flags';

const ACTION = /\{\{-?\s*(.*?)\s*-?\}\}/g;
const PATH = /^\.(?:[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)?$/;

/**
 * The part of Go's text/template that `docker … --format` is given in practice: literal text,
 * `{{.Field.Sub}}` and `{{json .Field}}` (`.` alone for the whole object). Anything else is a parse error,
 * as a template docker could not evaluate would be.
 */
export function renderTemplate(template: string, data: unknown): string {
  return template.replace(ACTION, (_, action: string) => {
    const [first, second, ...rest] = action.split(/\s+/);
    if (first === 'json' && second !== undefined && rest.length === 0 && PATH.test(second)) {
      return JSON.stringify(lookup(data, second) ?? null);
    }
    if (first !== undefined && second === undefined && PATH.test(first)) return plain(lookup(data, first));
    throw new CliError(`template parsing error: template: :1: function "${first ?? ''}" not defined`, 1);
  });
}

function lookup(data: unknown, path: string): unknown {
  let value = data;
  for (const field of path.split('.').slice(1)) {
    if (field === '') continue;
    value =
      value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[field] : undefined;
  }
  return value;
}

function plain(value: unknown): string {
  if (value === undefined || value === null) return '<no value>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(plain).join(' ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
  return `map[${entries.map(([k, v]) => `${k}:${plain(v)}`).join(' ')}]`;
}
