/**
 * Docker's reference grammar (distribution/reference), for names without a tag or digest. Pure.
 *
 *   name             := [domain '/'] path-component ['/' path-component]*
 *   domain           := host [':' port]      host := domain-name | '[' IPv6 ']'
 *   path-component   := [a-z0-9]+ (separator [a-z0-9]+)*      separator := [._] | '__' | '-'+
 *   tag              := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *
 * The first component is a registry only when it contains '.' or ':' or is `localhost`, as Docker decides.
 */
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = '(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])';
const DOMAIN = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?$`,
);
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const MAX_NAME_LENGTH = 255;

export function isDockerImageName(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME_LENGTH) return false;
  const parts = value.split('/');
  const [first = ''] = parts;
  const hasDomain = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasDomain && !DOMAIN.test(first)) return false;
  const path = hasDomain ? parts.slice(1) : parts;
  return path.length > 0 && path.every((component) => PATH_COMPONENT.test(component));
}

export function isDockerTag(value: unknown): value is string {
  return typeof value === 'string' && TAG.test(value);
}
