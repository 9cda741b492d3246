import {
  CreateUserRequest,
  DeleteUserRequest,
  GetUserByEmailRequest,
  GetUserRequest,
  GrpcTimestamp,
  ListUsersRequest,
  UpdateUserRequest,
  UserMessage,
} from '@emporium/contracts';
import { MAX_PAGE_SIZE } from '@emporium/platform/http';
import { IsInt, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';

import { Profile } from '../profile';
import { IsProfileEmail, IsProfileName } from './profile.rules';

// The gRPC requests as validated classes: the same rules as the REST DTOs, checked by the same pipe.
// proto3 has no "absent" for scalars: an unset string arrives as '' (and fails the rules that need a
// value), an unset page size as 0 (which means the default).

export class CreateUserMessage implements CreateUserRequest {
  @IsUUID('all', { message: 'must be a UUID' })
  id!: string;

  @IsProfileName()
  name!: string;

  @IsProfileEmail()
  email!: string;
}

export class GetUserMessage implements GetUserRequest {
  @IsUUID('all', { message: 'must be a UUID' })
  id!: string;
}

export class UpdateUserMessage implements UpdateUserRequest {
  @IsUUID('all', { message: 'must be a UUID' })
  id!: string;

  @IsProfileName()
  name!: string;
}

export class DeleteUserMessage implements DeleteUserRequest {
  @IsUUID('all', { message: 'must be a UUID' })
  id!: string;
}

export class ListUsersMessage implements ListUsersRequest {
  @IsInt()
  @Min(0)
  @Max(MAX_PAGE_SIZE)
  pageSize!: number;

  @IsString()
  @MaxLength(512)
  pageToken!: string;
}

export class GetUserByEmailMessage implements GetUserByEmailRequest {
  @IsProfileEmail()
  email!: string;
}

export function toTimestamp(date: Date): GrpcTimestamp {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds: String(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}

export function toUserMessage(profile: Profile): UserMessage {
  return {
    id: profile.id,
    name: profile.name,
    email: profile.email,
    createdAt: toTimestamp(profile.createdAt),
    updatedAt: toTimestamp(profile.updatedAt),
  };
}
