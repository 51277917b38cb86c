import type { InstanceState } from '../domain';

type VersionedInstance = Pick<InstanceState, 'status' | 'image' | 'tag'>;

/**
 * The version most of an application's instances run: what a deployment records as its previous
 * version (and what a rollback returns to). Pure. Ties go to the instance listed first.
 *
 * Worked example: [v1, v2, v1, absent] → v1; [absent, absent] → null (a first deployment).
 */
export function currentVersion(
  instances: readonly VersionedInstance[],
): { image: string; tag: string } | null {
  const counts = new Map<string, { image: string; tag: string; count: number }>();
  for (const instance of instances) {
    if (instance.status === 'absent' || !instance.image || !instance.tag) continue;
    const key = `${instance.image}:${instance.tag}`;
    const entry = counts.get(key) ?? { image: instance.image, tag: instance.tag, count: 0 };
    entry.count++;
    counts.set(key, entry);
  }
  let best: { image: string; tag: string; count: number } | null = null;
  for (const entry of counts.values()) if (!best || entry.count > best.count) best = entry;
  return best ? { image: best.image, tag: best.tag } : null;
}
