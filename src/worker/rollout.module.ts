import { Module } from '@nestjs/common';
import { Clock, SystemClock } from '../common/clock';
import { ResolvedAddresses } from '../common/network/resolved-addresses';
import { AppConfig } from '../config/app-config';
import { UndiciHealthProbe } from '../infra/health/undici-health-probe';
import { RemoteLoadBalancer } from '../infra/load-balancer';
import { PersistenceModule } from '../infra/persistence/persistence.module';
import { RemoteAccessModule } from '../infra/ssh/remote-access.module';
import { HealthProbe, LoadBalancer, RemoteExecutor, RolloutEvents, RolloutStore } from '../rollout/ports';
import { RollingUpdateStrategy } from '../rollout/engine/rolling-update.strategy';
import { RolloutSettings } from '../rollout/engine/rollout-settings';

/**
 * Binds the engine's ports to their adapters and builds the engine from them (worker process, or the single
 * process of `npm start`). RolloutEvents comes from the root module's choice of transport.
 */
@Module({
  imports: [PersistenceModule, RemoteAccessModule],
  providers: [
    { provide: Clock, useClass: SystemClock },
    {
      provide: RolloutSettings,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        Object.assign(new RolloutSettings(), {
          batchConcurrency: config.batchConcurrency,
          healthRequestTimeoutMs: config.healthRequestTimeoutMs,
        }),
    },
    // ResolvedAddresses from RemoteAccessModule: the health probe reaches the address SSH resolved.
    {
      provide: HealthProbe,
      inject: [Clock, ResolvedAddresses],
      useFactory: (clock: Clock, addresses: ResolvedAddresses) => new UndiciHealthProbe(clock, addresses),
    },
    {
      provide: LoadBalancer,
      inject: [RemoteExecutor, Clock],
      useFactory: (executor: RemoteExecutor, clock: Clock) => new RemoteLoadBalancer(executor, clock),
    },
    {
      provide: RollingUpdateStrategy,
      inject: [
        RolloutStore,
        RolloutEvents,
        RemoteExecutor,
        HealthProbe,
        LoadBalancer,
        Clock,
        RolloutSettings,
      ],
      useFactory: (
        store: RolloutStore,
        events: RolloutEvents,
        executor: RemoteExecutor,
        probe: HealthProbe,
        loadBalancer: LoadBalancer,
        clock: Clock,
        settings: RolloutSettings,
      ) => new RollingUpdateStrategy(store, events, executor, probe, loadBalancer, clock, settings),
    },
  ],
  exports: [RollingUpdateStrategy, RemoteAccessModule],
})
export class RolloutModule {}
