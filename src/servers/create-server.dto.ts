import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { IsHost, IsPort, IsPrivateKey } from '../common/validation/decorators';

export class CreateServerDto {
  @ApiProperty({ example: 'web-1', description: 'Unique in the team; also the server name in HAProxy' })
  @IsString()
  @Length(1, 63)
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
    message: 'name must start with a letter or digit and contain only letters, digits, ".", "_" and "-"',
  })
  name: string;

  @ApiProperty({ example: '10.0.0.5' })
  @IsHost()
  host: string;

  @ApiPropertyOptional({ default: 22 })
  @IsOptional()
  @IsPort()
  port?: number;

  @ApiPropertyOptional({ default: 'root' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  @Matches(/^[a-z_][a-z0-9_-]*$/, { message: 'user must match ^[a-z_][a-z0-9_-]*$' })
  user?: string;

  @ApiProperty({
    description: 'PEM or OpenSSH private key without passphrase; stored encrypted, never returned',
  })
  @IsPrivateKey()
  privateKey: string;

  @ApiPropertyOptional({ example: 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s' })
  @IsOptional()
  @Matches(/^SHA256:[A-Za-z0-9+/]{43}$/, {
    message: 'hostKeyFingerprint must be "SHA256:" followed by 43 base64 characters',
  })
  hostKeyFingerprint?: string;
}
