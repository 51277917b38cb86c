import { SetMetadata } from '@nestjs/common';
import type { TokenScope } from '../../auth/token-scope';

export const ACCESS_METADATA = 'rollout:access';

/** Every handler carries exactly one of these; AccessGuard refuses a handler that has neither. */
export type AccessDecision = { kind: 'public' } | { kind: 'token'; scope: TokenScope };

/** Served without a token (health, metrics when no METRICS_TOKEN is set). */
export const Public = (): MethodDecorator & ClassDecorator =>
  SetMetadata<string, AccessDecision>(ACCESS_METADATA, { kind: 'public' });

/** Needs a valid token of at least `scope` (read < deploy < admin). */
export const RequireScope = (scope: TokenScope): MethodDecorator & ClassDecorator =>
  SetMetadata<string, AccessDecision>(ACCESS_METADATA, { kind: 'token', scope });
