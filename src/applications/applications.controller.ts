import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { PageQuery } from '../common/http/page.query';
import { ApiBearerAuth, ApiExtraModels, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../common/auth/access.decorators';
import { TeamId } from '../common/auth/team-id.decorator';
import { ParseIdPipe } from '../common/http/parse-id.pipe';
import { ApplicationView, InstanceView } from './application.view';
import { ApplicationsService } from './applications.service';
import { CreateApplicationDto } from './create-application.dto';
import {
  HaproxyLoadBalancerDto,
  NginxLoadBalancerDto,
  NoLoadBalancerDto,
  TraefikLoadBalancerDto,
} from './load-balancer.dto';

@ApiTags('applications')
@ApiBearerAuth()
@ApiExtraModels(TraefikLoadBalancerDto, NginxLoadBalancerDto, HaproxyLoadBalancerDto, NoLoadBalancerDto)
@Controller('applications')
export class ApplicationsController {
  constructor(private readonly applications: ApplicationsService) {}

  @RequireScope('admin')
  @Post()
  create(@TeamId() teamId: number, @Body() body: CreateApplicationDto): Promise<ApplicationView> {
    return this.applications.create(teamId, body);
  }

  @RequireScope('read')
  @Get()
  list(@TeamId() teamId: number, @Query() query: PageQuery): Promise<ApplicationView[]> {
    return this.applications.list(teamId, query);
  }

  @RequireScope('read')
  @Get(':id')
  get(@TeamId() teamId: number, @Param('id', ParseIdPipe) id: number): Promise<ApplicationView> {
    return this.applications.get(teamId, id);
  }

  @RequireScope('read')
  @Get(':id/instances')
  instances(@TeamId() teamId: number, @Param('id', ParseIdPipe) id: number): Promise<InstanceView[]> {
    return this.applications.instances(teamId, id);
  }

  @RequireScope('admin')
  @Delete(':id')
  @HttpCode(204)
  remove(@TeamId() teamId: number, @Param('id', ParseIdPipe) id: number): Promise<void> {
    return this.applications.remove(teamId, id);
  }
}
