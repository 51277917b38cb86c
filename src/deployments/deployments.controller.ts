import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../common/auth/access.decorators';
import { TeamId } from '../common/auth/team-id.decorator';
import { ParseIdPipe } from '../common/http/parse-id.pipe';
import type { BatchView, DeploymentView } from '../rollout/domain';
import type { PlanPreview } from '../rollout/planning/preview';
import { CreateDeploymentDto } from './create-deployment.dto';
import { DeploymentsService } from './deployments.service';
import { ListDeploymentsQuery } from './list-deployments.query';
import { RollingUpdateDto } from './rolling-update.dto';
import { DeploymentEventsQuery } from './deployment-events.query';
import type { DeploymentEventView } from './deployment-event.view';

@ApiTags('deployments')
@ApiBearerAuth()
@Controller('deployments')
export class DeploymentsController {
  constructor(private readonly deployments: DeploymentsService) {}

  @RequireScope('deploy')
  @Post()
  create(@TeamId() teamId: number, @Body() body: CreateDeploymentDto): Promise<DeploymentView> {
    return this.deployments.create(teamId, body);
  }

  @RequireScope('read')
  @Get()
  list(@TeamId() teamId: number, @Query() query: ListDeploymentsQuery): Promise<DeploymentView[]> {
    return this.deployments.list(teamId, query);
  }

  @RequireScope('read')
  @Get(':id')
  get(@TeamId() teamId: number, @Param('id', ParseIdPipe) id: number): Promise<DeploymentView> {
    return this.deployments.get(teamId, id);
  }

  @RequireScope('read')
  @Get(':id/batches')
  batches(@TeamId() teamId: number, @Param('id', ParseIdPipe) id: number): Promise<BatchView[]> {
    return this.deployments.batches(teamId, id);
  }

  @RequireScope('read')
  @Get(':id/events')
  events(
    @TeamId() teamId: number,
    @Param('id', ParseIdPipe) id: number,
    @Query() query: DeploymentEventsQuery,
  ): Promise<DeploymentEventView[]> {
    return this.deployments.events(teamId, id, query);
  }

  @RequireScope('deploy')
  @Post(':id/plan')
  @HttpCode(200)
  plan(
    @TeamId() teamId: number,
    @Param('id', ParseIdPipe) id: number,
    @Body() body: RollingUpdateDto,
  ): Promise<PlanPreview> {
    return this.deployments.plan(teamId, id, body);
  }

  @RequireScope('deploy')
  @Post(':id/rolling-update')
  @HttpCode(202)
  rollingUpdate(
    @TeamId() teamId: number,
    @Param('id', ParseIdPipe) id: number,
    @Body() body: RollingUpdateDto,
  ): Promise<DeploymentView> {
    return this.deployments.rollingUpdate(teamId, id, body);
  }

  @RequireScope('deploy')
  @Post(':id/cancel')
  @HttpCode(202)
  cancel(@TeamId() teamId: number, @Param('id', ParseIdPipe) id: number): Promise<DeploymentView> {
    return this.deployments.cancel(teamId, id);
  }

  @RequireScope('deploy')
  @Post(':id/pause')
  @HttpCode(202)
  pause(@TeamId() teamId: number, @Param('id', ParseIdPipe) id: number): Promise<DeploymentView> {
    return this.deployments.pause(teamId, id);
  }

  @RequireScope('deploy')
  @Post(':id/resume')
  @HttpCode(202)
  resume(@TeamId() teamId: number, @Param('id', ParseIdPipe) id: number): Promise<DeploymentView> {
    return this.deployments.resume(teamId, id);
  }

  @RequireScope('deploy')
  @Post(':id/rollback')
  @HttpCode(202)
  rollback(@TeamId() teamId: number, @Param('id', ParseIdPipe) id: number): Promise<DeploymentView> {
    return this.deployments.rollback(teamId, id);
  }
}
