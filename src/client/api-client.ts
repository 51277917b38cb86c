import { ApiError, CliError, EXIT, oneLine, UnreachableError } from './errors';

export interface Connection {
  /** The API's origin, e.g. `http://127.0.0.1:3000` (no trailing slash). */
  url: string;
  token: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const PAGE = 500;

/** `Short Name: message` of a contract error body (`{ statusCode, error, message }`), else the text. */
export function errorMessageOf(body: unknown, fallback: string): string {
  if (typeof body !== 'object' || body === null) return fallback;
  const { error, message } = body as { error?: unknown; message?: unknown };
  const text = Array.isArray(message)
    ? message.map(String).join('; ')
    : typeof message === 'string'
      ? message
      : '';
  const name = typeof error === 'string' ? error : '';
  if (name !== '' && text !== '' && name !== text) return `${name}: ${text}`;
  return name || text || fallback;
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
}

/** Read by shape, not `instanceof`: fetch's errors may come from another realm (a test VM). */
function errorLike(value: unknown): ErrorLike {
  return typeof value === 'object' && value !== null ? value : {};
}

/** Why a request never got an answer, in words, naming the URL (never the token). */
export function unreachableReason(error: unknown, url: string, timeoutMs: number): string {
  const outer = errorLike(error);
  if (outer.name === 'TimeoutError' || outer.name === 'AbortError') {
    return `the API at ${url} did not answer within ${timeoutMs / 1000} s`;
  }
  const cause = errorLike(outer.cause);
  const code = typeof cause.code === 'string' ? cause.code : undefined;
  switch (code) {
    case 'ECONNREFUSED':
      return `cannot reach the API at ${url}: connection refused (is it running?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot reach the API at ${url}: its host name does not resolve`;
    case 'ECONNRESET':
      return `the API at ${url} closed the connection`;
    case undefined:
    default: {
      const detail = [cause.message, outer.message].find((text) => typeof text === 'string') ?? String(error);
      return `cannot reach the API at ${url}: ${String(detail)}`;
    }
  }
}

/** The REST API, as any client sees it: bearer token, JSON in and out, errors with status and message. */
export class ApiClient {
  constructor(
    readonly connection: Connection,
    private readonly options: { timeoutMs?: number; interrupt?: AbortSignal } = {},
  ) {}

  private get timeoutMs(): number {
    return this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  get url(): string {
    return this.connection.url;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  delete(path: string): Promise<unknown> {
    return this.request<unknown>('DELETE', path);
  }

  /** Every item of a paged list (`limit`, `beforeId`; newest first by id). */
  async listAll<T extends { id: number }>(path: string): Promise<T[]> {
    const items: T[] = [];
    const separator = path.includes('?') ? '&' : '?';
    let beforeId: number | undefined;
    for (;;) {
      const page = await this.get<T[]>(
        `${path}${separator}limit=${PAGE}${beforeId === undefined ? '' : `&beforeId=${beforeId}`}`,
      );
      items.push(...page);
      const last = page.at(-1);
      if (page.length < PAGE || last === undefined) return items;
      beforeId = last.id;
    }
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const what = `${method} ${path}`;
    let response: Response;
    try {
      response = await fetch(`${this.connection.url}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${this.connection.token}`,
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: this.options.interrupt
          ? AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.options.interrupt])
          : AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
    } catch (error) {
      if (this.options.interrupt?.aborted) throw new CliError('interrupted', EXIT.interrupted);
      throw new UnreachableError(unreachableReason(error, this.connection.url, this.timeoutMs));
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      if (!response.ok) throw new ApiError(response.status, oneLine(text.slice(0, 200)), what);
      throw new UnreachableError(
        `${what} at ${this.connection.url} did not answer with JSON: is this the Rollout API?`,
      );
    }
    if (!response.ok) {
      throw new ApiError(response.status, oneLine(errorMessageOf(parsed, response.statusText)), what);
    }
    return parsed as T;
  }
}
