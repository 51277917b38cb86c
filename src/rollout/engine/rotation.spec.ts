import { setup } from '../../../test/fakes/rollout-harness';
import { LoadBalancerError } from '../ports';
import { FleetState } from './fleet-state';
import { RolloutRecorder } from './rollout-recorder';
import { Rotation } from './rotation';

/** A rotation over the harness's four servers, all in rotation behind lb-1. */
async function rotationOf(t: ReturnType<typeof setup>) {
  const context = await t.store.loadContext(7);
  const fleet = new FleetState(context, t.store);
  const rotation = new Rotation(fleet, context, t.lb, new RolloutRecorder(t.store, t.events, 7));
  return { fleet, rotation };
}

describe('rotation', () => {
  it('takes out only the servers in rotation and records them out', async () => {
    const t = setup();
    const { fleet, rotation } = await rotationOf(t);
    await rotation.takeOut([1, 2]);
    await rotation.takeOut([1]);
    expect(t.lb.calls).toEqual(['remove web-1,web-2 → [web-3,web-4]']);
    expect(fleet.inRotation()).toEqual([3, 4]);
    expect(t.store.instances.get(1)).toMatchObject({ inRotation: false });
  });

  it('runs changes one at a time, each computing the members from the latest state', async () => {
    const t = setup();
    const { fleet, rotation } = await rotationOf(t);
    await rotation.takeOut([1, 2, 3]);
    await Promise.all([rotation.putBack([2], 1), rotation.putBack([1], 1)]);
    expect(t.lb.calls.slice(1)).toEqual(['add web-2 → [web-2,web-4]', 'add web-1 → [web-1,web-2,web-4]']);
    expect(fleet.inRotation()).toEqual([1, 2, 4]);
    expect(t.events.phases(1)).toEqual(['in_rotation']);
  });

  it('undoes a drain that failed half-way and leaves the servers in rotation', async () => {
    const t = setup();
    const { fleet, rotation } = await rotationOf(t);
    const refused = new LoadBalancerError('haproxy drain failed: No such server.');
    t.lb.failNext = refused;
    await expect(rotation.takeOut([1, 2])).rejects.toBe(refused);
    expect(t.lb.calls).toEqual(['add web-1,web-2 → [web-1,web-2,web-3,web-4]']);
    expect(fleet.inRotation()).toEqual([1, 2, 3, 4]);
  });

  it('puts the batch back and fails it when the load balancer refuses the drain', async () => {
    const t = setup({ deployment: { failureThreshold: 1 } });
    t.lb.failNext = new LoadBalancerError('haproxy drain failed: No such server.');
    await t.run();
    expect(t.store.batches[0]).toMatchObject({
      status: 'failed',
      failureReason: 'load balancer: haproxy drain failed: No such server.',
    });
    expect(t.executor.commands.filter((c) => c.line.includes('docker run'))).toEqual([]);
    // a half-applied drain is undone: the batch goes back into rotation
    expect(t.lb.calls[0]).toBe('add web-1,web-2 → [web-1,web-2,web-3,web-4]');
  });
});
