import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { defined } from '../../../test/support/defined';
import { RedisEmitterRolloutEvents } from './redis-emitter-rollout-events';

type Published = { channel: string; text: string };

function fakeRedis(fail = false): { redis: Redis; published: Published[] } {
  const published: Published[] = [];
  const redis = {
    publish: (channel: string, message: Uint8Array) => {
      if (fail) return Promise.reject(new Error('connection lost'));
      // msgpack keeps strings as they are, so the event name and payload are readable in the bytes.
      published.push({ channel, text: Buffer.from(message).toString('utf8') });
      return Promise.resolve(1);
    },
  } as unknown as Redis;
  return { redis, published };
}

describe('RedisEmitterRolloutEvents', () => {
  it("publishes each event to the deployment's room of /deployments, under the configured key", () => {
    const { redis, published } = fakeRedis();
    const events = new RedisEmitterRolloutEvents(redis, 'my-key');

    events.instanceUpdated({
      id: 41,
      deploymentId: 7,
      batchNumber: 1,
      serverId: 3,
      phase: 'pulling',
      message: 'pull',
    });

    expect(published).toHaveLength(1);
    const sent = defined(published[0], 'a published message');
    expect(sent.channel).toBe('my-key#/deployments#deployment:7#');
    for (const part of ['/deployments', 'instance.updated', 'deploymentId', 'pulling', 'deployment:7']) {
      expect(sent.text).toContain(part);
    }
  });

  it('never lets a failed publish reach the rollout', async () => {
    const { redis } = fakeRedis(true);
    const events = new RedisEmitterRolloutEvents(redis, 'my-key');
    const unhandled = jest.fn();
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    process.on('unhandledRejection', unhandled);
    try {
      expect(() => events.deploymentUpdated({ id: 7 } as never)).not.toThrow();
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).not.toHaveBeenCalled();
      expect(warn).toHaveBeenCalledWith(
        expect.objectContaining({ channel: expect.any(String) as string }),
        expect.any(String),
      );
    } finally {
      process.off('unhandledRejection', unhandled);
      warn.mockRestore();
    }
  });
});
