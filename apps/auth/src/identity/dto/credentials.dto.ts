import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, Length, Matches, MaxLength } from 'class-validator';

/** Passwords: at least 8 characters (api.md); at most 128, which bounds the work one request can cause. */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;
/** RFC 5321's limit on a forward path, i.e. on any address that can receive mail. */
export const EMAIL_MAX_LENGTH = 254;

/** E-mails are compared and stored trimmed and lower-cased: `Ada@Example.com ` is `ada@example.com`. */
export function normaliseEmail(value: unknown): unknown {
  return typeof value === 'string' ? value.trim().toLowerCase() : value;
}

const Email = (): PropertyDecorator =>
  applyDecorators(
    Transform(({ value }: { value: unknown }) => normaliseEmail(value)),
    IsString(),
    MaxLength(EMAIL_MAX_LENGTH),
    IsEmail({}, { message: 'must be an e-mail address' }),
  );

export class RegisterDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: EMAIL_MAX_LENGTH })
  @Email()
  email!: string;

  @ApiProperty({
    example: 'correct horse battery staple',
    minLength: PASSWORD_MIN_LENGTH,
    maxLength: PASSWORD_MAX_LENGTH,
  })
  @IsString()
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH)
  password!: string;

  @ApiProperty({ example: 'Ada Lovelace', maxLength: 100, description: 'Starts the user profile' })
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'must not be blank' })
  name!: string;
}

export class LoginDto {
  @ApiProperty({ example: 'ada@example.com' })
  @Email()
  email!: string;

  // No minimum beyond 1: a login never reveals the password rules, it just fails.
  @ApiProperty({ example: 'correct horse battery staple', maxLength: PASSWORD_MAX_LENGTH })
  @IsString()
  @Length(1, PASSWORD_MAX_LENGTH)
  password!: string;
}

export class RefreshTokenDto {
  @ApiProperty({ description: 'The refresh token from login or the previous refresh' })
  @IsString()
  @Length(1, 512)
  refreshToken!: string;
}
