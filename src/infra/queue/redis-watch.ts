import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';

/**
 * Logs a connection's outage once and its recovery once (ioredis retries forever and would otherwise
 * print an "unhandled error event" per attempt).
 */
export function watchRedis(client: Redis, name: string): Redis {
  const logger = new Logger(`Redis:${name}`);
  let down = false;
  client.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn(`connection lost, retrying: ${error.message}`);
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    logger.log('connection restored');
  });
  return client;
}
