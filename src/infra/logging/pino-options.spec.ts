import { Writable } from 'node:stream';
import pino from 'pino';
import { defined } from '../../../test/support/defined';
import { pinoHttpOptions } from './pino-options';

function capture(): { stream: Writable; firstLine: () => Record<string, unknown> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    stream,
    firstLine: () => {
      const [first] = chunks.join('').trim().split('\n');
      return JSON.parse(defined(first, 'a logged line')) as Record<string, unknown>;
    },
  };
}

describe('pino options', () => {
  it('redacts credentials in request headers and keys and tokens anywhere in a logged object', () => {
    const options = pinoHttpOptions('info');
    const { stream, firstLine } = capture();
    const logger = pino({ level: options.level, redact: options.redact }, stream);

    logger.info({
      req: { method: 'POST', headers: { authorization: 'Bearer rlt_abc', cookie: 'sid=1', host: 'x' } },
      server: { name: 'web-1', privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----' },
      token: 'rlt_top',
      created: { team: { token: 'rlt_nested' } },
    });

    const line = firstLine();
    expect(line.req).toEqual({
      method: 'POST',
      headers: { authorization: '[redacted]', cookie: '[redacted]', host: 'x' },
    });
    expect(line.server).toEqual({ name: 'web-1', privateKey: '[redacted]' });
    expect(line.token).toBe('[redacted]');
    expect(line.created).toEqual({ team: { token: '[redacted]' } });
    expect(JSON.stringify(line)).not.toMatch(/rlt_|BEGIN OPENSSH/);
  });

  it('redacts request bodies and secret env wherever they are logged', () => {
    const options = pinoHttpOptions('info');
    const { stream, firstLine } = capture();
    const logger = pino({ level: options.level, redact: options.redact }, stream);

    logger.info({
      req: {
        method: 'POST',
        headers: { 'proxy-authorization': 'Basic aHVudGVy' },
        body: { name: 'shop', secretEnv: { DB_PASSWORD: 'hunter2' } },
      },
      secretEnv: { A: 'hunter2' },
      application: { name: 'shop', secretEnv: { A: 'hunter2' } },
      job: { application: { secretEnv: { A: 'hunter2' } } },
    });

    const line = firstLine();
    expect(line.req).toEqual({
      method: 'POST',
      headers: { 'proxy-authorization': '[redacted]' },
      body: '[redacted]',
    });
    expect(line.secretEnv).toBe('[redacted]');
    expect(line.application).toEqual({ name: 'shop', secretEnv: '[redacted]' });
    expect(line.job).toEqual({ application: { secretEnv: '[redacted]' } });
    expect(JSON.stringify(line)).not.toMatch(/hunter2|aHVudGVy/);
  });

  it('takes the configured level', () => {
    expect(pinoHttpOptions('warn').level).toBe('warn');
  });
});
