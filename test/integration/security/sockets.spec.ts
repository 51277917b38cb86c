import type { Socket } from 'socket.io-client';
import { connectSocket } from '../../support/socket';
import { ApplicationEntity } from '../../../src/applications/application.entity';
import { TokenService } from '../../../src/auth/token.service';
import { MAX_SUBSCRIPTIONS_PER_SOCKET } from '../../../src/deployments/deployments.gateway';
import { DeploymentEntity } from '../../../src/deployments/deployment.entity';
import { waitFor } from '../../support/wait';
import { startFullApp, type FullApp } from './full-app';

jest.setTimeout(60_000);

describe('socket.io connections of a token', () => {
  let f: FullApp;
  let deploymentIds: number[];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    f = await startFullApp();
    const team = await f.token('watchers');
    const application = await f.db.dataSource.getRepository(ApplicationEntity).save({
      teamId: team.teamId,
      name: 'shop',
      image: 'ghcr.io/acme/shop',
      tag: 'v1',
      containerPort: 3000,
      hostPort: 8080,
      alternateHostPort: 8081,
      loadBalancer: { type: 'none' },
    });
    const deployments = await f.db.dataSource.getRepository(DeploymentEntity).save(
      Array.from({ length: MAX_SUBSCRIPTIONS_PER_SOCKET + 1 }, () => ({
        applicationId: application.id,
        image: 'ghcr.io/acme/shop',
        tag: 'v2',
      })),
    );
    deploymentIds = deployments.map((deployment) => deployment.id);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await f?.close();
  });

  it(`may watch at most ${MAX_SUBSCRIPTIONS_PER_SOCKET} deployments at once`, async () => {
    const { token } = await f.token('watchers');
    const socket = await connectSocket(f.url, { token });
    sockets.push(socket);
    const acks: { ok: boolean }[] = [];
    for (const deploymentId of deploymentIds.slice(0, MAX_SUBSCRIPTIONS_PER_SOCKET)) {
      acks.push((await socket.emitWithAck('subscribe', { deploymentId })) as { ok: boolean });
    }
    expect(acks.every((ack) => ack.ok === true)).toBe(true);
    // Subscribing again to one already watched is no new subscription.
    expect(await socket.emitWithAck('subscribe', { deploymentId: deploymentIds[0] })).toEqual({ ok: true });
    const refused: unknown = await socket.emitWithAck('subscribe', {
      deploymentId: deploymentIds[MAX_SUBSCRIPTIONS_PER_SOCKET],
    });
    expect(refused).toEqual({
      ok: false,
      error: expect.stringContaining('At most 100 deployments') as string,
    });
    expect(await socket.emitWithAck('unsubscribe', { deploymentId: deploymentIds[0] })).toEqual({ ok: true });
    expect(
      await socket.emitWithAck('subscribe', { deploymentId: deploymentIds[MAX_SUBSCRIPTIONS_PER_SOCKET] }),
    ).toEqual({ ok: true });
  });

  it('is closed by the server once its token is revoked, and cannot connect again', async () => {
    const { token, id } = await f.token('watchers', { scope: 'read' });
    const { token: other } = await f.token('watchers', { scope: 'read' });
    const doomed = await connectSocket(f.url, { token });
    const survivor = await connectSocket(f.url, { token: other });
    sockets.push(doomed, survivor);
    let reason = '';
    doomed.on('disconnect', (why) => {
      reason = why;
    });
    const revokedAt = Date.now();
    await f.app.get(TokenService).revoke(id);
    await waitFor('the revoked socket to be closed', () => (doomed.connected ? undefined : true), 10_000);
    expect(reason).toBe('io server disconnect');
    expect(Date.now() - revokedAt).toBeLessThan(5_000);
    expect(survivor.connected).toBe(true);
    await expect(connectSocket(f.url, { token })).rejects.toThrow('Unauthorized');
  });

  it('is closed once its token expires', async () => {
    const { token, id } = await f.token('watchers', { expiresInMs: 3_600_000 });
    const socket = await connectSocket(f.url, { token });
    sockets.push(socket);
    await f.db.dataSource.query(`UPDATE api_tokens SET expires_at = now() WHERE id = $1`, [id]);
    await waitFor('the expired socket to be closed', () => (socket.connected ? undefined : true), 10_000);
  });
});
