import { Module } from '@nestjs/common';
import { TokenService } from '../../auth/token.service';
import { BearerAuthGuard } from './bearer-auth.guard';

/** Token verification and the guard that `configureHttpApp` installs globally. Needs the TypeORM connection. */
@Module({
  providers: [TokenService, BearerAuthGuard],
  exports: [TokenService, BearerAuthGuard],
})
export class AuthModule {}
