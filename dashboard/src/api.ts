import { logOut, token } from './session';
import type {
  Application,
  Batch,
  Deployment,
  Instance,
  Plan,
  RollingUpdateBody,
  Server,
  TimelineEvent,
} from './types';

export const TOKEN_REFUSED = 'The API refused the token (expired, revoked or mistyped): log in again.';

/** An error answer of the API, with its message in words (the API names each bad field). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function messageOf(status: number, body: unknown): string {
  const message = (body as { message?: unknown } | null)?.message;
  if (typeof message === 'string' && message) return message;
  if (Array.isArray(message) && message.length > 0) return message.map(String).join('; ');
  return `The API answered ${status}`;
}

/** Any request with the tab's token; a 401 ends the session and sends the person back to the login. */
export async function request<T>(
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  bearer?: string,
): Promise<T> {
  const credential = bearer ?? token.value;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (credential) headers.Authorization = `Bearer ${credential}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError(0, 'The API cannot be reached; check that Rollout is running.');
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (response.status === 401) {
    if (bearer === undefined) logOut(TOKEN_REFUSED);
    throw new ApiError(401, TOKEN_REFUSED);
  }
  if (!response.ok) throw new ApiError(response.status, messageOf(response.status, parsed));
  return parsed as T;
}

const EVENTS_PAGE = 1000;
const MAX_EVENT_PAGES = 100;

export const api = {
  /** Checks a token before keeping it (any valid token may read). */
  checkToken: (candidate: string) =>
    request<Application[]>('GET', '/api/applications?limit=1', undefined, candidate),
  applications: () => request<Application[]>('GET', '/api/applications?limit=500'),
  application: (id: number) => request<Application>('GET', `/api/applications/${id}`),
  instances: (id: number) => request<Instance[]>('GET', `/api/applications/${id}/instances`),
  servers: () => request<Server[]>('GET', '/api/servers?limit=500'),
  history: (applicationId: number) =>
    request<Deployment[]>('GET', `/api/deployments?applicationId=${applicationId}&limit=50`),
  deployment: (id: number) => request<Deployment>('GET', `/api/deployments/${id}`),
  batches: (id: number) => request<Batch[]>('GET', `/api/deployments/${id}/batches`),
  createDeployment: (applicationId: number, tag: string) =>
    request<Deployment>('POST', '/api/deployments', { applicationId, tag }),
  plan: (id: number, body: RollingUpdateBody) => request<Plan>('POST', `/api/deployments/${id}/plan`, body),
  start: (id: number, body: RollingUpdateBody) =>
    request<Deployment>('POST', `/api/deployments/${id}/rolling-update`, body),
  control: (id: number, action: 'pause' | 'resume' | 'cancel' | 'rollback') =>
    request<Deployment>('POST', `/api/deployments/${id}/${action}`),

  /** Every recorded event after `afterId`, oldest first, page by page. */
  async eventsAfter(id: number, afterId: number): Promise<TimelineEvent[]> {
    const all: TimelineEvent[] = [];
    let last = afterId;
    for (let page = 0; page < MAX_EVENT_PAGES; page++) {
      const events = await request<TimelineEvent[]>(
        'GET',
        `/api/deployments/${id}/events?afterId=${last}&limit=${EVENTS_PAGE}`,
      );
      all.push(...events);
      const tail = events.at(-1);
      if (events.length < EVENTS_PAGE || !tail) break;
      last = tail.id;
    }
    return all;
  },
};
