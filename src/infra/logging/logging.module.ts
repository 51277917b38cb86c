import { Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from '../../config/app-config';
import { pinoHttpOptions } from './pino-options';

/** JSON logs through pino for the API and the worker; `app.useLogger(app.get(Logger))` in the entry point. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        pinoHttp: pinoHttpOptions(config.logLevel),
        // nestjs-pino's default ('*') is the pre-Express-5 wildcard syntax and logs a warning.
        forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
      }),
    }),
  ],
})
export class LoggingModule {}
