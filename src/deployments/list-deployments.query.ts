import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { PageQuery } from '../common/http/page.query';
import { IsIdString } from '../common/validation/decorators';

export class ListDeploymentsQuery extends PageQuery {
  @ApiPropertyOptional({ example: '1' })
  @IsOptional()
  @IsIdString()
  applicationId?: string;
}
