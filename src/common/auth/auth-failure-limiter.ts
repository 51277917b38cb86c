import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { AppConfig } from '../../config/app-config';
import { TooManyRequestsError } from '../errors';

const WINDOW_MS = 60_000;
const BLOCK_MS = 60_000;

/**
 * Slows down token guessing: every presented-but-rejected credential (HTTP or socket.io) counts against
 * the address it came from, in @nestjs/throttler's storage; past AUTH_FAILURE_LIMIT a minute the address
 * gets 429 for a minute. A request with no credential at all is a plain 401 and does not count. Valid
 * tokens never count and are never refused here, so a team's own traffic is not throttled however busy.
 */
@Injectable()
export class AuthFailureLimiter implements OnApplicationShutdown {
  private readonly storage = new ThrottlerStorageService();

  constructor(private readonly config: AppConfig) {}

  /** Records one failure of `address`; throws 429 once the address is over its limit. */
  async fail(address: string): Promise<void> {
    const record = await this.storage.increment(
      `auth-failure:${address}`,
      WINDOW_MS,
      this.config.authFailureLimit,
      BLOCK_MS,
      'auth',
    );
    if (record.isBlocked) {
      throw new TooManyRequestsError(
        'Too many failed authentication attempts from this address; try again later',
        Math.max(1, record.timeToBlockExpire),
      );
    }
  }

  onApplicationShutdown(): void {
    this.storage.onApplicationShutdown();
  }
}
