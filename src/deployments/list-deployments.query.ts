import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IsIdString, IsIntStringInRange } from '../common/validation/decorators';

export const DEFAULT_HISTORY_PAGE = 100;
export const MAX_HISTORY_PAGE = 500;

export class ListDeploymentsQuery {
  @ApiPropertyOptional({ example: '1' })
  @IsOptional()
  @IsIdString()
  applicationId?: string;

  @ApiPropertyOptional({
    example: '50',
    description: `At most this many deployments, newest first (default ${DEFAULT_HISTORY_PAGE}, up to ${MAX_HISTORY_PAGE}).`,
  })
  @IsOptional()
  @IsIntStringInRange(1, MAX_HISTORY_PAGE)
  limit?: string;

  @ApiPropertyOptional({
    example: '120',
    description: 'Only deployments older than this one: pass the last id of a page to get the next page.',
  })
  @IsOptional()
  @IsIdString()
  beforeId?: string;
}
