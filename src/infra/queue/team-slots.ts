/**
 * The slots of one worker process held per team, so one team runs at most `limit` of its rollouts at once
 * (TEAM_MAX_ACTIVE_ROLLOUTS) and the other slots stay free for other teams. JavaScript runs one callback at
 * a time, so a check and its increment in `tryAcquire` cannot interleave with another job's.
 */
export class TeamSlots {
  private readonly held = new Map<number, number>();

  constructor(readonly limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new RangeError(`team slot limit must be ≥ 1, got ${limit}`);
  }

  /** Takes a slot for the team unless it already holds `limit`; true when taken. */
  tryAcquire(teamId: number): boolean {
    const count = this.heldBy(teamId);
    if (count >= this.limit) return false;
    this.held.set(teamId, count + 1);
    return true;
  }

  release(teamId: number): void {
    const count = this.heldBy(teamId);
    if (count <= 1) this.held.delete(teamId);
    else this.held.set(teamId, count - 1);
  }

  heldBy(teamId: number): number {
    return this.held.get(teamId) ?? 0;
  }
}
