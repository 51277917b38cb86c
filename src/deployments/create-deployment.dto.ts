import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IsDockerImageName, IsDockerTag, IsId } from '../common/validation/decorators';

export class CreateDeploymentDto {
  @ApiProperty({ example: 1 })
  @IsId()
  applicationId: number;

  @ApiPropertyOptional({ example: 'ghcr.io/acme/shop', description: "Defaults to the application's image" })
  @IsOptional()
  @IsDockerImageName()
  image?: string;

  @ApiProperty({ example: 'v2' })
  @IsDockerTag()
  tag: string;
}
