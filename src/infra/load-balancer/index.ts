export { RemoteLoadBalancer } from './remote-load-balancer';
export { NoLoadBalancer } from './no-load-balancer';
export { TraefikLoadBalancer, TRAEFIK_APPLY_DELAY_MS } from './traefik-load-balancer';
export { NginxLoadBalancer } from './nginx-load-balancer';
export { HaproxyLoadBalancer, DRAIN_POLL_INTERVAL_MS } from './haproxy-load-balancer';
export { renderTraefikConfig, traefikObjectName } from './traefik-config';
export { renderNginxConfig, nginxUpstreamName } from './nginx-config';
export { MANAGED_HEADER, UnsafeConfigValueError } from './names';
