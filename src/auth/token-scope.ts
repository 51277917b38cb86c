/**
 * What a token may do. Each scope includes the ones before it: `read` is GET only; `deploy` also creates,
 * starts, plans, pauses, resumes, cancels and rolls back deployments; `admin` also changes servers and
 * applications and reads the audit log.
 */
export const TOKEN_SCOPES = ['read', 'deploy', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export function isTokenScope(value: unknown): value is TokenScope {
  return typeof value === 'string' && (TOKEN_SCOPES as readonly string[]).includes(value);
}

/** Whether a token of scope `held` may call a handler that requires `required`. */
export function scopeAllows(held: TokenScope, required: TokenScope): boolean {
  return TOKEN_SCOPES.indexOf(held) >= TOKEN_SCOPES.indexOf(required);
}
