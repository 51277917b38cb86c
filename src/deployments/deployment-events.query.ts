import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IsIntStringInRange } from '../common/validation/decorators';

export const DEFAULT_EVENTS_PAGE = 1000;
export const MAX_EVENTS_PAGE = 5000;

/** `?afterId=&limit=`: oldest first; pass the last id seen to get what came after it. */
export class DeploymentEventsQuery {
  @ApiPropertyOptional({
    example: '120',
    description: 'Only events after this id (the last one a client saw); default: from the first.',
  })
  @IsOptional()
  @IsIntStringInRange(0, 2_147_483_647)
  afterId?: string;

  @ApiPropertyOptional({
    example: '1000',
    description: `At most this many events, oldest first (default ${DEFAULT_EVENTS_PAGE}, up to ${MAX_EVENTS_PAGE}).`,
  })
  @IsOptional()
  @IsIntStringInRange(1, MAX_EVENTS_PAGE)
  limit?: string;
}
