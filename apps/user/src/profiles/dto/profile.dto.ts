import { PageQueryDto } from '@emporium/platform/http';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';

import { MAX_EMAIL_LENGTH, MAX_NAME_LENGTH } from '../profile';
import { IsProfileEmail, IsProfileName } from './profile.rules';

/**
 * `PATCH /users/me`: the name is all a user may change. Anything else (`email`, `roles`, `id`, timestamps)
 * is refused with a 400 by the app's ValidationPipe, which forbids unknown fields.
 */
export class UpdateProfileDto {
  @ApiPropertyOptional({ example: 'Ada Lovelace', minLength: 1, maxLength: MAX_NAME_LENGTH })
  @IsOptional()
  @IsProfileName()
  name?: string;
}

/** `GET /users` (admin): every profile, newest first, or the one with `email`. */
export class ListUsersQuery extends PageQueryDto {
  @ApiPropertyOptional({
    description: 'Only the profile with this e-mail address (case-insensitive): a page of 0 or 1 item',
    format: 'email',
    maxLength: MAX_EMAIL_LENGTH,
  })
  @IsOptional()
  @IsProfileEmail()
  email?: string;
}
