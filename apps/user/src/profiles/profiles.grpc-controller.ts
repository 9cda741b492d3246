import { ListUsersResponse, USER_GRPC, UserMessage } from '@emporium/contracts';
import { AuthenticatedUser, ensureOwnerOrAdmin, Roles } from '@emporium/platform/auth';
import { DEFAULT_PAGE_SIZE, DomainError } from '@emporium/platform/http';
import { Controller } from '@nestjs/common';
import { GrpcMethod, Payload } from '@nestjs/microservices';

import { GrpcCaller } from '../grpc/grpc-access-token.guard';
import { GrpcEndpoint } from '../grpc/grpc-endpoint.decorator';
import {
  CreateUserMessage,
  DeleteUserMessage,
  GetUserByEmailMessage,
  GetUserMessage,
  ListUsersMessage,
  toUserMessage,
  UpdateUserMessage,
} from './dto/profile.grpc';
import { profileNotFound } from './profile';
import { ProfilesService } from './profiles.service';

/**
 * The seeds' UserService over gRPC (libs/contracts: proto/emporium/user/v1/user.proto), on the same
 * ProfilesService as the REST API. Customers reach their own profile only; another id is NOT_FOUND, as a
 * missing one is. Creating, deleting, listing and searching by address are for admins.
 */
@GrpcEndpoint()
@Controller()
export class ProfilesGrpcController {
  constructor(private readonly profiles: ProfilesService) {}

  @Roles('admin')
  @GrpcMethod(USER_GRPC.service, 'CreateUser')
  async createUser(@Payload() request: CreateUserMessage): Promise<UserMessage> {
    return toUserMessage(await this.profiles.create(request));
  }

  @GrpcMethod(USER_GRPC.service, 'GetUser')
  async getUser(
    @Payload() request: GetUserMessage,
    @GrpcCaller() caller: AuthenticatedUser,
  ): Promise<UserMessage> {
    ensureOwnerOrAdmin(caller, request.id, () => profileNotFound(request.id));
    return toUserMessage(await this.profiles.get(request.id));
  }

  @GrpcMethod(USER_GRPC.service, 'UpdateUser')
  async updateUser(
    @Payload() request: UpdateUserMessage,
    @GrpcCaller() caller: AuthenticatedUser,
  ): Promise<UserMessage> {
    ensureOwnerOrAdmin(caller, request.id, () => profileNotFound(request.id));
    return toUserMessage(await this.profiles.rename(request.id, request.name));
  }

  @Roles('admin')
  @GrpcMethod(USER_GRPC.service, 'DeleteUser')
  async deleteUser(@Payload() request: DeleteUserMessage): Promise<Record<string, never>> {
    await this.profiles.delete(request.id);
    return {};
  }

  @Roles('admin')
  @GrpcMethod(USER_GRPC.service, 'ListUsers')
  async listUsers(@Payload() request: ListUsersMessage): Promise<ListUsersResponse> {
    const page = await this.profiles.list({
      pageSize: request.pageSize === 0 ? DEFAULT_PAGE_SIZE : request.pageSize,
      pageToken: request.pageToken === '' ? undefined : request.pageToken,
    });
    return { users: page.items.map(toUserMessage), nextPageToken: page.nextPageToken ?? '' };
  }

  @Roles('admin')
  @GrpcMethod(USER_GRPC.service, 'GetUserByEmail')
  async getUserByEmail(@Payload() request: GetUserByEmailMessage): Promise<UserMessage> {
    const profile = await this.profiles.findByEmail(request.email);
    if (!profile)
      throw new DomainError('PROFILE_NOT_FOUND', 'not_found', 'No profile with this e-mail address');
    return toUserMessage(profile);
  }
}
