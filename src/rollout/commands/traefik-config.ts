import { stringify } from 'yaml';
import type { ApplicationRef, RotationMember } from '../ports/load-balancer.port';
import { MANAGED_HEADER, memberAddress, normalizeDomain, proxyObjectName } from './proxy-names';

export interface TraefikConfigInput {
  application: ApplicationRef;
  domain: string;
  members: readonly RotationMember[];
  entryPoints?: readonly string[];
}

/** The router and the service share one name; Traefik keeps them in separate namespaces. */
export function traefikObjectName(application: ApplicationRef): string {
  return `rollout-${proxyObjectName(application)}`;
}

/**
 * Traefik file-provider dynamic configuration. With nobody in rotation the document declares no router and no
 * service (Traefik rejects an empty `servers` list, and a router without a service would answer 500s).
 */
export function renderTraefikConfig(input: TraefikConfigInput): string {
  const name = traefikObjectName(input.application);
  const domain = normalizeDomain(input.domain);
  const urls = input.members.map((member) => `http://${memberAddress(member)}`);
  if (urls.length === 0) return `${MANAGED_HEADER}\n${stringify({ http: {} })}`;

  const router: Record<string, unknown> = { rule: `Host(\`${domain}\`)`, service: name };
  if (input.entryPoints !== undefined && input.entryPoints.length > 0)
    router.entryPoints = [...input.entryPoints];
  const config = {
    http: {
      routers: { [name]: router },
      services: { [name]: { loadBalancer: { servers: urls.map((url) => ({ url })) } } },
    },
  };
  return `${MANAGED_HEADER}\n${stringify(config)}`;
}
