import { ref } from 'vue';

/** Hash routes: the page is always `/`, so the server needs no fallback and links are plain anchors. */
export type Route =
  { name: 'applications' } | { name: 'application'; id: number } | { name: 'deployment'; id: number };

export function parseRoute(hash: string): Route {
  const application = /^#\/applications\/(\d+)$/.exec(hash);
  if (application?.[1]) return { name: 'application', id: Number(application[1]) };
  const deployment = /^#\/deployments\/(\d+)$/.exec(hash);
  if (deployment?.[1]) return { name: 'deployment', id: Number(deployment[1]) };
  return { name: 'applications' };
}

export const applicationHref = (id: number): string => `#/applications/${id}`;
export const deploymentHref = (id: number): string => `#/deployments/${id}`;

export const route = ref<Route>(parseRoute(window.location.hash));
window.addEventListener('hashchange', () => {
  route.value = parseRoute(window.location.hash);
});

export function navigate(href: string): void {
  window.location.hash = href.slice(1);
}
