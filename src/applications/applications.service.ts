import { Injectable } from '@nestjs/common';
import { pageOf, type PageQuery } from '../common/http/page.query';
import { ConflictError, NotFoundError } from '../common/errors';
import { AppConfig } from '../config/app-config';
import { applicationSecretEnvRow, encryptSecret } from '../common/crypto/secret-box';
import { ServersRepository } from '../servers/servers.repository';
import { APPLICATION_DEFAULTS, defaultAlternateHostPort } from './application-defaults';
import { ApplicationEntity } from './application.entity';
import {
  InstanceView,
  serverIdsOf,
  toApplicationView,
  toInstanceViews,
  ApplicationView,
} from './application.view';
import { ApplicationsRepository, NewSecretEnv } from './applications.repository';
import { CreateApplicationDto, DEFAULT_HEALTH_CHECK_PATH } from './create-application.dto';
import { toLoadBalancerConfig } from './load-balancer.dto';

@Injectable()
export class ApplicationsService {
  constructor(
    private readonly applications: ApplicationsRepository,
    private readonly servers: ServersRepository,
    private readonly config: AppConfig,
  ) {}

  async create(teamId: number, dto: CreateApplicationDto): Promise<ApplicationView> {
    const loadBalancer = toLoadBalancerConfig(dto.loadBalancer);
    const loadBalancerServerId = loadBalancer.type === 'none' ? null : loadBalancer.serverId;
    await this.requireServers(teamId, [
      ...dto.serverIds,
      ...(loadBalancerServerId === null ? [] : [loadBalancerServerId]),
    ]);
    const application = await this.applications.insert(
      {
        teamId,
        name: dto.name,
        image: dto.image,
        tag: dto.tag,
        containerPort: dto.containerPort,
        hostPort: dto.hostPort,
        alternateHostPort: dto.alternateHostPort ?? defaultAlternateHostPort(dto.hostPort),
        env: dto.env ?? {},
        healthCheckPath: dto.healthCheckPath ?? DEFAULT_HEALTH_CHECK_PATH,
        stopTimeout: dto.stopTimeout ?? APPLICATION_DEFAULTS.stopTimeout,
        minFreeMemoryMb: dto.minFreeMemoryMb ?? APPLICATION_DEFAULTS.minFreeMemoryMb,
        minFreeDiskMb: dto.minFreeDiskMb ?? APPLICATION_DEFAULTS.minFreeDiskMb,
        dockerDataPath: dto.dockerDataPath ?? APPLICATION_DEFAULTS.dockerDataPath,
        loadBalancer,
        loadBalancerServerId,
      },
      dto.serverIds,
      this.sealedSecretEnv(dto.secretEnv ?? {}),
    );
    return toApplicationView(application);
  }

  async list(teamId: number, query: PageQuery): Promise<ApplicationView[]> {
    return (await this.applications.list(teamId, pageOf(query))).map(toApplicationView);
  }

  async get(teamId: number, id: number): Promise<ApplicationView> {
    return toApplicationView(await this.find(teamId, id));
  }

  async instances(teamId: number, id: number): Promise<InstanceView[]> {
    const application = await this.find(teamId, id);
    return toInstanceViews(
      serverIdsOf(application),
      await this.applications.instancesOf(id),
      application.hostPort,
    );
  }

  async remove(teamId: number, id: number): Promise<void> {
    const application = await this.find(teamId, id);
    if (await this.applications.hasActiveDeployment(id)) {
      throw new ConflictError(`A deployment of application ${application.name} is queued or in progress`);
    }
    await this.applications.remove(teamId, id);
  }

  /** A team's application or the 404 that another team's id also gets. */
  async find(teamId: number, id: number): Promise<ApplicationEntity> {
    const application = await this.applications.findOne(teamId, id);
    if (!application) throw new NotFoundError(`Application ${id} not found`);
    return application;
  }

  /** One ciphertext for the whole object, bound to the application's row. */
  private sealedSecretEnv(secretEnv: Record<string, string>): NewSecretEnv | null {
    const keys = Object.keys(secretEnv).sort();
    if (keys.length === 0) return null;
    const plaintext = JSON.stringify(secretEnv);
    return {
      keys,
      seal: (id) => encryptSecret(plaintext, this.config.appKey, applicationSecretEnvRow(id)),
    };
  }

  private async requireServers(teamId: number, ids: number[]): Promise<void> {
    const existing = await this.servers.existingIds(teamId, ids);
    const missing = ids.find((id) => !existing.has(id));
    if (missing !== undefined) throw new NotFoundError(`Server ${missing} not found`);
  }
}
