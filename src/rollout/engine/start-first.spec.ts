import { IMAGE, imageOn, setup } from '../../../test/fakes/rollout-harness';

const startFirst = { order: 'start-first' as const };

describe('a start-first batch: the new container beside the old one, no server leaves rotation', () => {
  it('starts v2 on the alternate port, probes it there, moves the load balancer, then retires v1', async () => {
    const t = setup({ deployment: startFirst });
    await t.run();

    expect(t.store.deployment.status).toBe('completed');
    expect(t.lb.calls).toEqual([
      'move web-1:8081,web-2:8081 → [web-1,web-2,web-3,web-4]',
      'move web-3:8081,web-4:8081 → [web-1,web-2,web-3,web-4]',
    ]);
    expect(t.probe.checks.map((c) => c.url)).toEqual([
      'http://10.0.0.1:8081/health',
      'http://10.0.0.2:8081/health',
      'http://10.0.0.3:8081/health',
      'http://10.0.0.4:8081/health',
    ]);
    const web1 = t.executor.lines('web-1');
    const run = web1.findIndex((l) => l.includes('docker run'));
    expect(web1[run]).toContain('--name shop-next');
    expect(web1[run]).toContain('-p 8081:3000');
    // The old container stops only after the move, given the application's stopTimeout.
    expect(web1.slice(run + 1).filter((l) => !l.includes('inspect'))).toEqual([
      'web-1: docker stop -t 10 shop',
      'web-1: docker rename shop shop-previous',
      'web-1: docker rename shop-next shop',
    ]);
    expect(t.docker.container('web-1', 'shop')).toMatchObject({ image: `${IMAGE}:v2`, hostPort: 8081 });
    expect(t.docker.container('web-1', 'shop-previous')).toMatchObject({
      image: `${IMAGE}:v1`,
      running: false,
      hostPort: 8080,
    });
    expect(t.store.instances.get(1)).toMatchObject({ tag: 'v2', hostPort: 8081, inRotation: true });
    expect(t.events.phases(1)).toEqual(['pulling', 'starting', 'health_checking', 'healthy', 'in_rotation']);
    expect(t.store.batches[0]?.serverOutcomes).toEqual({ '1': 'updated', '2': 'updated' });
  });

  it('alternates back to hostPort on the next deployment', async () => {
    const t = setup({ deployment: startFirst, servers: 2 });
    for (const id of [1, 2]) {
      t.docker.seed(`web-${id}`, 'shop', `${IMAGE}:v1`, true, 8081);
      t.store.seedInstance(id, {
        image: IMAGE,
        tag: 'v1',
        status: 'running',
        inRotation: true,
        hostPort: 8081,
      });
    }
    await t.run();
    expect(t.lb.calls).toEqual(['move web-1:8080,web-2:8080 → [web-1,web-2]']);
    expect(t.docker.container('web-2', 'shop')).toMatchObject({ image: `${IMAGE}:v2`, hostPort: 8080 });
  });

  it('removes a new container that fails its probe; the old one never left rotation', async () => {
    const t = setup({ deployment: { ...startFirst, failureThreshold: 2 } });
    t.probe.script('10.0.0.2:', false);
    await t.run();

    expect(t.lb.calls[0]).toBe('move web-1:8081 → [web-1,web-2,web-3,web-4]');
    expect(t.lb.calls.some((c) => c.startsWith('remove'))).toBe(false);
    expect(t.docker.container('web-2', 'shop')).toMatchObject({
      image: `${IMAGE}:v1`,
      running: true,
      hostPort: 8080,
    });
    expect(t.docker.container('web-2', 'shop-next')).toBeUndefined();
    expect(t.executor.lines('web-2').filter((l) => /docker (stop|rename)/.test(l))).toEqual([]);
    expect(t.events.phases(2)).toEqual([
      'pulling',
      'starting',
      'health_checking',
      'unhealthy',
      'rolled_back',
    ]);
    expect(t.store.instances.get(2)).toMatchObject({ tag: 'v1', hostPort: 8080, inRotation: true });
    expect(t.store.batches[0]).toMatchObject({
      status: 'failed',
      serverOutcomes: { '1': 'updated', '2': 'restored' },
    });
    expect(t.store.batches[0]?.failureReason).toMatch(
      /^web-1 kept v2; web-2 is back on v1: web-2 \(10\.0\.0\.2\)/,
    );
  });

  it('keeps the old container when the load balancer refuses the move', async () => {
    const t = setup({ deployment: { ...startFirst, failureThreshold: 2 } });
    t.lb.failNext = new Error('socat: connection refused');
    await t.run();

    expect(t.docker.container('web-1', 'shop')).toMatchObject({ image: `${IMAGE}:v1`, running: true });
    expect(t.docker.container('web-1', 'shop-next')).toBeUndefined();
    expect(t.store.batches[0]).toMatchObject({
      status: 'rolled_back',
      serverOutcomes: { '1': 'restored', '2': 'restored' },
    });
    expect(t.store.batches[0]?.failureReason).toContain('web-1: load balancer: socat: connection refused');
    // the failed move was undone: moved back to where the servers served
    expect(t.lb.calls[0]).toBe('move web-1:8080,web-2:8080 → [web-1,web-2,web-3,web-4]');
  });

  it('rolls the fleet back beside the current containers, never taking a server out', async () => {
    const t = setup({ deployment: { ...startFirst, failureThreshold: 1 } });
    t.probe.script('10.0.0.2:', false);
    await t.run();

    expect(t.store.deployment.status).toBe('rolled_back');
    expect(t.lb.calls).toEqual([
      'move web-1:8081 → [web-1,web-2,web-3,web-4]',
      'move web-1:8080 → [web-1,web-2,web-3,web-4]',
    ]);
    for (const id of [1, 2, 3, 4]) {
      expect(t.docker.container(`web-${id}`, 'shop')).toMatchObject({
        image: `${IMAGE}:v1`,
        running: true,
        hostPort: 8080,
      });
    }
    expect(t.store.instances.get(1)).toMatchObject({ tag: 'v1', hostPort: 8080, inRotation: true });
    expect(t.store.batches[0]).toMatchObject({ status: 'rolled_back' });
  });

  it('updates a single server with minimumHealthyInstances 1', async () => {
    const t = setup({ servers: 1, deployment: { ...startFirst, minimumHealthyInstances: 1, batchSize: 1 } });
    await t.run();
    expect(t.store.deployment.status).toBe('completed');
    expect(imageOn(t.docker, 1)).toBe(`${IMAGE}:v2`);
    expect(t.lb.calls).toEqual(['move web-1:8081 → [web-1]']);
  });

  it('swaps stop-first where nothing serves yet (a first deployment) and uses hostPort', async () => {
    const t = setup({ running: 'none', deployment: startFirst });
    await t.run();
    expect(t.store.deployment.status).toBe('completed');
    expect(t.lb.calls[0]).toBe('add web-1,web-2 → [web-1,web-2]');
    expect(t.docker.container('web-1', 'shop')).toMatchObject({ image: `${IMAGE}:v2`, hostPort: 8080 });
    expect(t.events.phases(1)).toEqual(['pulling', 'starting', 'health_checking', 'healthy', 'in_rotation']);
  });

  it('swaps in place a server recorded in rotation whose container is stopped, without a load balancer change', async () => {
    const t = setup({ servers: 2, deployment: startFirst });
    t.docker.seed('web-1', 'shop', `${IMAGE}:v1`, false, 8080);
    await t.run();
    expect(t.lb.calls).toEqual(['move web-2:8081 → [web-1,web-2]']);
    expect(t.docker.container('web-1', 'shop')).toMatchObject({
      image: `${IMAGE}:v2`,
      running: true,
      hostPort: 8080,
    });
    expect(t.events.phases(1)).toEqual(['pulling', 'starting', 'health_checking', 'healthy', 'in_rotation']);
    expect(t.store.instances.get(1)).toMatchObject({ tag: 'v2', hostPort: 8080, inRotation: true });
  });

  it('finishes a start beside that a crash left half-done: the reused next container is not started twice', async () => {
    const t = setup({ servers: 2, deployment: startFirst });
    t.docker.seed('web-1', 'shop-next', `${IMAGE}:v2`, true, 8081);
    await t.run();
    expect(t.executor.lines('web-1').filter((l) => l.includes('docker run'))).toEqual([]);
    expect(t.docker.container('web-1', 'shop')).toMatchObject({ image: `${IMAGE}:v2`, hostPort: 8081 });
  });
});
