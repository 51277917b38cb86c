import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../common/auth/access.decorators';
import { TeamId } from '../common/auth/team-id.decorator';
import { pageOf, PageQuery } from '../common/http/page.query';
import { AuditService, type AuditEntryView } from './audit.service';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @RequireScope('admin')
  list(@TeamId() teamId: number, @Query() query: PageQuery): Promise<AuditEntryView[]> {
    return this.audit.list(teamId, pageOf(query));
  }
}
