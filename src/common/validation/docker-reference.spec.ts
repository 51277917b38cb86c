import { isDockerImageName, isDockerTag } from './docker-reference';

describe('isDockerImageName', () => {
  it.each([
    'nginx',
    'library/nginx',
    'ghcr.io/acme/shop',
    'registry.example.com:5000/team/app',
    'localhost/app',
    'localhost:5000/a/b/c',
    'acme/my-app',
    'acme/my__app',
    'acme/my.app_v2',
    'a--b',
    'GHCR.io/acme/shop',
    '[::1]:5000/shop',
  ])('accepts %s', (name) => expect(isDockerImageName(name)).toBe(true));

  it.each([
    '',
    'Shop',
    'acme/Shop',
    'shop:v1',
    'shop@sha256:abc',
    'shop;rm -rf /',
    '$(id)',
    'shop app',
    '-shop',
    'shop-',
    'shop..app',
    'shop___app',
    'acme//shop',
    '/shop',
    'shop/',
    'ghcr.io:/shop',
    'ghcr.io/',
    'a'.repeat(256),
    'shop\n',
  ])('refuses %j', (name) => expect(isDockerImageName(name)).toBe(false));

  it('refuses non-strings', () => {
    expect(isDockerImageName(5)).toBe(false);
    expect(isDockerImageName(null)).toBe(false);
  });
});

describe('isDockerTag', () => {
  it.each(['v1', 'latest', '1.2.3', 'V1_rc-2', '_x', 'a'.repeat(128)])('accepts %s', (tag) =>
    expect(isDockerTag(tag)).toBe(true),
  );

  it.each(['', '.v1', '-v1', 'v1 && reboot', '$(id)', 'v1;ls', 'a'.repeat(129), 'v1\n', 'v1:2'])(
    'refuses %j',
    (tag) => expect(isDockerTag(tag)).toBe(false),
  );
});
