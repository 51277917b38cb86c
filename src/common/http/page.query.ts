import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IsIdString, IsIntStringInRange } from '../validation/decorators';

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 500;

/** `?limit=&beforeId=`: newest first by id; pass the last id of a page as `beforeId` for the next one. */
export class PageQuery {
  @ApiPropertyOptional({
    example: '50',
    description: `At most this many items, newest first (default ${DEFAULT_PAGE}, up to ${MAX_PAGE}).`,
  })
  @IsOptional()
  @IsIntStringInRange(1, MAX_PAGE)
  limit?: string;

  @ApiPropertyOptional({
    example: '120',
    description: 'Only items older than this id: pass the last id of a page to get the next page.',
  })
  @IsOptional()
  @IsIdString()
  beforeId?: string;
}

export interface Page {
  limit: number;
  beforeId?: number;
}

export function pageOf(query: PageQuery): Page {
  return {
    limit: query.limit === undefined ? DEFAULT_PAGE : Number(query.limit),
    beforeId: query.beforeId === undefined ? undefined : Number(query.beforeId),
  };
}
