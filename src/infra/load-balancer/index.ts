export { RemoteLoadBalancer } from './remote-load-balancer';
export { NoLoadBalancer } from './no-load-balancer';
export { TraefikDriver, TRAEFIK_APPLY_DELAY_MS } from './traefik-driver';
export { NginxDriver } from './nginx-driver';
export { HaproxyDriver, DRAIN_POLL_INTERVAL_MS } from './haproxy-driver';
