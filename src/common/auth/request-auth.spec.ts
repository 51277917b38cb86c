import { requireAuth, type AuthenticatedRequest } from './request-auth';

function requestWith(auth: unknown): AuthenticatedRequest {
  return { method: 'GET', headers: {}, socket: {}, auth } as AuthenticatedRequest;
}

describe('requireAuth', () => {
  it('gives the team of an authenticated request', () => {
    expect(requireAuth(requestWith({ teamId: 7, tokenId: 3, scope: 'read' }))).toEqual({
      teamId: 7,
      tokenId: 3,
      scope: 'read',
    });
  });

  it.each([
    undefined,
    null,
    {},
    { teamId: undefined },
    { teamId: 0 },
    { teamId: -1 },
    { teamId: 1.5 },
    { teamId: '7' },
  ])('throws for %p instead of letting a query run without a team', (auth) => {
    expect(() => requireAuth(requestWith(auth))).toThrow('The request has no authenticated team');
  });
});
