import { TeamSlots } from './team-slots';

describe('TeamSlots', () => {
  it('gives a team at most `limit` slots and counts teams apart', () => {
    const slots = new TeamSlots(2);
    expect([slots.tryAcquire(1), slots.tryAcquire(1), slots.tryAcquire(1)]).toEqual([true, true, false]);
    expect(slots.tryAcquire(2)).toBe(true);
    expect(slots.heldBy(1)).toBe(2);
    expect(slots.heldBy(2)).toBe(1);
  });

  it('frees a slot on release, and a release without a slot never goes below zero', () => {
    const slots = new TeamSlots(1);
    expect(slots.tryAcquire(1)).toBe(true);
    expect(slots.tryAcquire(1)).toBe(false);
    slots.release(1);
    expect(slots.heldBy(1)).toBe(0);
    slots.release(1);
    expect(slots.heldBy(1)).toBe(0);
    expect(slots.tryAcquire(1)).toBe(true);
    expect(slots.tryAcquire(1)).toBe(false);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a limit of %p', (limit) => {
    expect(() => new TeamSlots(limit)).toThrow(RangeError);
  });
});
