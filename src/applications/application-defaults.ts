/** What an application gets for the optional fields it was created without (README, "The API"). */
export const APPLICATION_DEFAULTS = {
  stopTimeout: 10,
  minFreeMemoryMb: 256,
  minFreeDiskMb: 1024,
  dockerDataPath: '/var/lib/docker',
} as const;

/** `hostPort + 1`; for the last port, which has no next one, `hostPort - 1`. */
export function defaultAlternateHostPort(hostPort: number): number {
  return hostPort < 65535 ? hostPort + 1 : hostPort - 1;
}
