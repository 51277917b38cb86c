import { deploymentJobId, parseRollingUpdateJobData } from './queue.constants';
import { redisOptionsFromUrl } from './redis-options';

describe('rolling-update job payload', () => {
  it('accepts exactly a positive integer deploymentId and keeps nothing else', () => {
    expect(parseRollingUpdateJobData({ deploymentId: 7, privateKey: 'x' })).toEqual({ deploymentId: 7 });
  });

  it.each([[null], [{}], [{ deploymentId: '7' }], [{ deploymentId: 0 }], [{ deploymentId: 1.5 }], [42]])(
    'rejects %j',
    (data) => {
      expect(() => parseRollingUpdateJobData(data)).toThrow(/invalid rolling-update job payload/);
    },
  );

  it('names one job per deployment', () => {
    expect(deploymentJobId(7)).toBe('deployment-7');
  });
});

describe('redisOptionsFromUrl', () => {
  it('reads host, port, credentials and database', () => {
    expect(redisOptionsFromUrl('redis://user:p%40ss@cache.local:6380/2')).toEqual({
      host: 'cache.local',
      port: 6380,
      username: 'user',
      password: 'p@ss',
      db: 2,
    });
  });

  it('defaults the port and turns on TLS for rediss://', () => {
    expect(redisOptionsFromUrl('rediss://[::1]')).toEqual({ host: '::1', port: 6379, tls: {} });
  });
});
