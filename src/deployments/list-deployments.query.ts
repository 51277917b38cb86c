import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IsIdString } from '../common/validation/decorators';

export class ListDeploymentsQuery {
  @ApiPropertyOptional({ example: '1' })
  @IsOptional()
  @IsIdString()
  applicationId?: string;
}
