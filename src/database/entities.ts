import { AuditEntryEntity } from '../audit/audit-entry.entity';
import { ApiTokenEntity } from '../auth/api-token.entity';
import { TeamEntity } from '../auth/team.entity';
import { ApplicationInstanceEntity } from '../applications/application-instance.entity';
import { ApplicationServerEntity } from '../applications/application-server.entity';
import { ApplicationEntity } from '../applications/application.entity';
import { DeploymentBatchEntity } from '../deployments/deployment-batch.entity';
import { DeploymentEventEntity } from '../deployments/deployment-event.entity';
import { DeploymentEntity } from '../deployments/deployment.entity';
import { ServerEntity } from '../servers/server.entity';

export const ENTITIES = [
  TeamEntity,
  ApiTokenEntity,
  ServerEntity,
  ApplicationEntity,
  ApplicationServerEntity,
  ApplicationInstanceEntity,
  DeploymentEntity,
  DeploymentBatchEntity,
  DeploymentEventEntity,
  AuditEntryEntity,
];
