import { ConfigError, loadConfig, requireRedisUrl } from './app-config';

const VALID = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/rollout',
  REDIS_URL: 'redis://127.0.0.1:6379',
  APP_KEY: 'ab'.repeat(32),
};

describe('loadConfig', () => {
  it('gives every optional variable its documented default', () => {
    const config = loadConfig(VALID);

    expect(config).toMatchObject({
      port: 3000,
      logLevel: 'info',
      queuePrefix: 'rollout',
      socketIoKey: 'socket.io',
      batchConcurrency: 50,
      sshConnectTimeoutMs: 10_000,
      sshCommandTimeoutMs: 300_000,
      healthRequestTimeoutMs: 5_000,
      workerConcurrency: 4,
      workerLockDurationMs: 30_000,
      corsOrigins: [],
      metricsToken: null,
      teamMaxActiveRollouts: 2,
      serverHostDenylist: ['169.254.0.0/16'],
      authFailureLimit: 50,
    });
    expect(config.appKey).toEqual(Buffer.from('ab'.repeat(32), 'hex'));
  });

  it('reads the optional variables when given', () => {
    const config = loadConfig({
      ...VALID,
      PORT: '8080',
      LOG_LEVEL: 'debug',
      QUEUE_PREFIX: 'staging',
      WORKER_CONCURRENCY: '2',
      WORKER_LOCK_DURATION_MS: '5000',
    });

    expect(config).toMatchObject({
      port: 8080,
      logLevel: 'debug',
      queuePrefix: 'staging',
      workerConcurrency: 2,
      workerLockDurationMs: 5000,
    });
  });

  it('reads the security variables', () => {
    const config = loadConfig({
      ...VALID,
      CORS_ORIGINS: 'https://deploy.example.com, http://localhost:5173',
      METRICS_TOKEN: 'scrape-me-please-0123',
      TEAM_MAX_ACTIVE_ROLLOUTS: '5',
      SERVER_HOST_DENYLIST: '169.254.0.0/16, fd00::/8,10.1.2.3/32',
      AUTH_FAILURE_LIMIT: '200',
    });
    expect(config).toMatchObject({
      corsOrigins: ['https://deploy.example.com', 'http://localhost:5173'],
      metricsToken: 'scrape-me-please-0123',
      teamMaxActiveRollouts: 5,
      serverHostDenylist: ['169.254.0.0/16', 'fd00::/8', '10.1.2.3/32'],
      authFailureLimit: 200,
    });
    expect(loadConfig({ ...VALID, SERVER_HOST_DENYLIST: '' }).serverHostDenylist).toEqual([]);
  });

  it('listens on every interface unless HOST names an address', () => {
    expect(loadConfig(VALID).host).toBeNull();
    expect(loadConfig({ ...VALID, HOST: ' 127.0.0.1 ' }).host).toBe('127.0.0.1');
    expect(loadConfig({ ...VALID, HOST: '::1' }).host).toBe('::1');
  });

  it('takes no REDIS_URL as the one-process mode of npm start; a process that needs Redis says so', () => {
    const config = loadConfig({ ...VALID, REDIS_URL: '  ' });
    expect(config.redisUrl).toBeNull();
    expect(() => requireRedisUrl(config)).toThrow(
      'Invalid environment variable REDIS_URL: it is required when the API and the workers run as separate processes',
    );
    expect(requireRedisUrl(loadConfig(VALID))).toBe(VALID.REDIS_URL);
  });

  it.each([
    [
      { DATABASE_URL: undefined },
      'DATABASE_URL',
      'it is required by this process; `npm start` runs an embedded',
    ],
    [{ DATABASE_URL: 'mysql://x/y' }, 'DATABASE_URL', 'expected a postgres:// or postgresql:// URL'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL', 'it is not a URL'],
    [{ APP_KEY: 'abc' }, 'APP_KEY', 'expected 64 hex characters'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', 'expected one of'],
    [{ PORT: '70000' }, 'PORT', 'expected 0..65535, got 70000'],
    [{ PORT: '80.5' }, 'PORT', 'expected a whole number, got "80.5"'],
    [{ HOST: 'example.com' }, 'HOST', 'expected an IP address to listen on'],
    [{ HOST: '127.0.0.1; rm -rf /' }, 'HOST', 'expected an IP address to listen on'],
    [{ QUEUE_PREFIX: 'a b' }, 'QUEUE_PREFIX', 'expected letters'],
    [{ SOCKET_IO_KEY: 'a/b' }, 'SOCKET_IO_KEY', 'expected letters'],
    [{ WORKER_CONCURRENCY: '0' }, 'WORKER_CONCURRENCY', 'expected 1..100, got 0'],
    [{ WORKER_LOCK_DURATION_MS: '500' }, 'WORKER_LOCK_DURATION_MS', 'expected 1000..600000, got 500'],
    [{ BATCH_CONCURRENCY: 'ten' }, 'BATCH_CONCURRENCY', 'expected a whole number'],
    [{ APP_KEY: '0'.repeat(64) }, 'APP_KEY', 'the all-zero example key is refused'],
    [{ CORS_ORIGINS: 'deploy.example.com' }, 'CORS_ORIGINS', '"deploy.example.com" is not an origin'],
    [{ CORS_ORIGINS: 'https://a.test/path' }, 'CORS_ORIGINS', '"https://a.test/path" is not an origin'],
    [{ CORS_ORIGINS: 'https://a.test,*' }, 'CORS_ORIGINS', '"*" is not an origin'],
    [{ CORS_ORIGINS: 'ftp://a.test' }, 'CORS_ORIGINS', '"ftp://a.test" is not an origin'],
    [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN', 'expected 16 to 256 printable characters'],
    [{ METRICS_TOKEN: 'with a space in it!' }, 'METRICS_TOKEN', 'expected 16 to 256'],
    [{ TEAM_MAX_ACTIVE_ROLLOUTS: '0' }, 'TEAM_MAX_ACTIVE_ROLLOUTS', 'expected 1..100, got 0'],
    [{ SERVER_HOST_DENYLIST: '169.254.0.0' }, 'SERVER_HOST_DENYLIST', '"169.254.0.0" is not a CIDR'],
    [{ SERVER_HOST_DENYLIST: '10.0.0.0/33' }, 'SERVER_HOST_DENYLIST', '"10.0.0.0/33" is not a CIDR'],
    [{ SERVER_HOST_DENYLIST: 'example.com/8' }, 'SERVER_HOST_DENYLIST', '"example.com/8" is not a CIDR'],
    [{ AUTH_FAILURE_LIMIT: '0' }, 'AUTH_FAILURE_LIMIT', 'expected 1..1000000, got 0'],
  ])('refuses %j, naming the variable', (override, variable, problem) => {
    let error: unknown;
    try {
      loadConfig({ ...VALID, ...override });
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).message).toContain(`Invalid environment variable ${variable}: ${problem}`);
  });
});
