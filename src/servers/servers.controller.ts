import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { PageQuery } from '../common/http/page.query';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../common/auth/access.decorators';
import { TeamId } from '../common/auth/team-id.decorator';
import { ParseIdPipe } from '../common/http/parse-id.pipe';
import { CreateServerDto } from './create-server.dto';
import { ServerView } from './server.view';
import { ServersService } from './servers.service';

@ApiTags('servers')
@ApiBearerAuth()
@Controller('servers')
export class ServersController {
  constructor(private readonly servers: ServersService) {}

  @RequireScope('admin')
  @Post()
  create(@TeamId() teamId: number, @Body() body: CreateServerDto): Promise<ServerView> {
    return this.servers.create(teamId, body);
  }

  @RequireScope('read')
  @Get()
  list(@TeamId() teamId: number, @Query() query: PageQuery): Promise<ServerView[]> {
    return this.servers.list(teamId, query);
  }

  @RequireScope('read')
  @Get(':id')
  get(@TeamId() teamId: number, @Param('id', ParseIdPipe) id: number): Promise<ServerView> {
    return this.servers.get(teamId, id);
  }

  @RequireScope('admin')
  @Delete(':id')
  @HttpCode(204)
  remove(@TeamId() teamId: number, @Param('id', ParseIdPipe) id: number): Promise<void> {
    return this.servers.remove(teamId, id);
  }
}
