import { Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { ResolvedAddresses } from '../../common/network/resolved-addresses';
import { AppConfig } from '../../config/app-config';
import { HostKeyPinning, RemoteExecutor } from '../../rollout/ports';
import { PersistenceModule } from '../persistence/persistence.module';
import { createSshRemoteExecutor } from './ssh-remote-executor';

/** Closes pooled SSH connections when the process stops. */
@Injectable()
class RemoteConnectionsCloser implements OnApplicationShutdown {
  constructor(private readonly executor: RemoteExecutor) {}

  async onApplicationShutdown(): Promise<void> {
    await this.executor.release();
  }
}

/**
 * SSH to the servers: one executor per process (the worker's rollouts, the API's plan preview), and the
 * addresses its connections resolved, which the health probe reuses.
 */
@Module({
  imports: [PersistenceModule],
  providers: [
    {
      provide: ResolvedAddresses,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ResolvedAddresses.forDenylist(config.serverHostDenylist),
    },
    {
      provide: RemoteExecutor,
      inject: [AppConfig, HostKeyPinning, ResolvedAddresses],
      useFactory: (config: AppConfig, pinning: HostKeyPinning, addresses: ResolvedAddresses) =>
        createSshRemoteExecutor(config, pinning, addresses),
    },
    RemoteConnectionsCloser,
  ],
  exports: [RemoteExecutor, ResolvedAddresses],
})
export class RemoteAccessModule {}
