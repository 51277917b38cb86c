import { Module } from '@nestjs/common';
import { AuditModule } from '../../audit/audit.module';
import { TokenService } from '../../auth/token.service';
import { AccessGuard } from './access.guard';
import { AuthFailureLimiter } from './auth-failure-limiter';

/** Tokens, the deny-by-default guard that `configureHttpApp` installs globally, and the audit log. */
@Module({
  imports: [AuditModule],
  providers: [TokenService, AccessGuard, AuthFailureLimiter],
  exports: [TokenService, AccessGuard, AuthFailureLimiter, AuditModule],
})
export class AuthModule {}
