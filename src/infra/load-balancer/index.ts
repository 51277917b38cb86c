export { RemoteLoadBalancer } from './remote-load-balancer';
export { NoLoadBalancer } from './no-load-balancer';
export { TraefikLoadBalancer, TRAEFIK_APPLY_DELAY_MS } from './traefik-driver';
export { NginxLoadBalancer } from './nginx-driver';
export { HaproxyLoadBalancer, DRAIN_POLL_INTERVAL_MS } from './haproxy-driver';
export { renderTraefikConfig, traefikObjectName } from '../../rollout/commands/traefik-config';
export { renderNginxConfig, nginxUpstreamName } from '../../rollout/commands/nginx-config';
export { MANAGED_HEADER, UnsafeConfigValueError } from '../../rollout/commands/proxy-names';
