import type { TokenScope } from '../../auth/token-scope';

/** Who made a request: set by AccessGuard once a token was verified. */
export interface RequestAuth {
  teamId: number;
  tokenId: number;
  scope: TokenScope;
}

/** The parts of an Express request the auth code reads and writes. */
export interface AuthenticatedRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  ip?: string;
  socket: { remoteAddress?: string };
  params?: Record<string, string>;
  route?: { path?: unknown };
  auth?: RequestAuth;
  /** The id a state-changing request created or acted on, for the audit log. */
  auditTargetId?: number;
}

/** The team of an authenticated request; throws rather than ever letting a query run without one. */
export function requireAuth(request: AuthenticatedRequest): RequestAuth {
  const auth = request.auth;
  if (!auth || !Number.isSafeInteger(auth.teamId) || auth.teamId <= 0) {
    throw new Error('The request has no authenticated team; refusing to read team-scoped data without one');
  }
  return auth;
}
