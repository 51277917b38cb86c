import { ChannelLimiter } from './channel-limiter';

describe('ChannelLimiter', () => {
  it('grants up to the limit, then queues in arrival order', async () => {
    const limiter = new ChannelLimiter(2);
    const first = await limiter.acquire();
    await limiter.acquire();
    const order: number[] = [];
    const third = limiter.acquire().then((release) => (order.push(3), release));
    const fourth = limiter.acquire().then((release) => (order.push(4), release));
    expect([limiter.inUse, limiter.waiting]).toEqual([2, 2]);
    first();
    first(); // releasing twice frees one slot only
    (await third)();
    await fourth;
    expect(order).toEqual([3, 4]);
    expect([limiter.inUse, limiter.waiting]).toEqual([2, 0]);
  });

  it('drops a waiter whose signal aborts', async () => {
    const limiter = new ChannelLimiter(1);
    const release = await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toThrow('aborted');
    expect(limiter.waiting).toBe(0);
    release();
    expect(limiter.inUse).toBe(0);
  });

  it('refuses a limit below one', () => {
    expect(() => new ChannelLimiter(0)).toThrow('positive integer');
  });
});
