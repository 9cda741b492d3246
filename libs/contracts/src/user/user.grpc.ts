import type { GrpcServiceContract } from '../grpc';

/**
 * The user service's gRPC API (`proto/emporium/user/v1/user.proto`, which documents every call, who may
 * make it and its errors). Served by the user service on GRPC_PORT (50052).
 */
export const USER_GRPC: GrpcServiceContract = {
  package: 'emporium.user.v1',
  service: 'UserService',
  protoPath: 'emporium/user/v1/user.proto',
};

// The messages as PROTO_LOADER_OPTIONS decode them (camelCase, int64 as string).

/** `google.protobuf.Timestamp`. */
export interface GrpcTimestamp {
  seconds: string;
  nanos: number;
}

/** The proto's `User`: a profile. */
export interface UserMessage {
  id: string;
  name: string;
  email: string;
  createdAt: GrpcTimestamp;
  updatedAt: GrpcTimestamp;
}

export interface CreateUserRequest {
  id: string;
  name: string;
  email: string;
}

export interface GetUserRequest {
  id: string;
}

export interface UpdateUserRequest {
  id: string;
  name: string;
}

export interface DeleteUserRequest {
  id: string;
}

export interface ListUsersRequest {
  pageSize: number;
  pageToken: string;
}

export interface ListUsersResponse {
  users: UserMessage[];
  nextPageToken: string;
}

export interface GetUserByEmailRequest {
  email: string;
}
