import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { loadSync, MessageTypeDefinition, ServiceDefinition } from '@grpc/proto-loader';

import { grpcServiceName, PROTO_LOADER_OPTIONS, PROTO_ROOT } from '../grpc';
import {
  CreateUserRequest,
  DeleteUserRequest,
  GetUserByEmailRequest,
  GetUserRequest,
  ListUsersRequest,
  ListUsersResponse,
  UpdateUserRequest,
  USER_GRPC,
  UserMessage,
} from './user.grpc';

/** Every key of T, checked by the compiler: a missing or an extra key does not compile. */
const keysOf = <T>(sample: Record<keyof T, true>): string[] => Object.keys(sample).sort();

const camelCase = (name: string): string =>
  name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());

const EXPECTED_FIELDS: Record<string, string[]> = {
  User: keysOf<UserMessage>({ id: true, name: true, email: true, createdAt: true, updatedAt: true }),
  CreateUserRequest: keysOf<CreateUserRequest>({ id: true, name: true, email: true }),
  GetUserRequest: keysOf<GetUserRequest>({ id: true }),
  UpdateUserRequest: keysOf<UpdateUserRequest>({ id: true, name: true }),
  DeleteUserRequest: keysOf<DeleteUserRequest>({ id: true }),
  ListUsersRequest: keysOf<ListUsersRequest>({ pageSize: true, pageToken: true }),
  ListUsersResponse: keysOf<ListUsersResponse>({ users: true, nextPageToken: true }),
  GetUserByEmailRequest: keysOf<GetUserByEmailRequest>({ email: true }),
};

interface FieldDescriptor {
  name: string;
  number: number;
}
interface MessageDescriptor {
  field: FieldDescriptor[];
  reservedRange: { start: number; end: number }[];
  reservedName: string[];
}

describe('USER_GRPC', () => {
  const definition = loadSync(USER_GRPC.protoPath, PROTO_LOADER_OPTIONS);
  const message = (name: string): MessageDescriptor =>
    (definition[`${USER_GRPC.package}.${name}`] as MessageTypeDefinition<object, object>)
      .type as unknown as MessageDescriptor;

  it('names a .proto under PROTO_ROOT that loads with the shared options', () => {
    expect(existsSync(join(PROTO_ROOT, USER_GRPC.protoPath))).toBe(true);
    expect(grpcServiceName(USER_GRPC)).toBe('emporium.user.v1.UserService');
  });

  it('declares the six calls of the seeds, unary, under their gRPC paths', () => {
    const service = definition[grpcServiceName(USER_GRPC)] as ServiceDefinition;
    const calls = ['CreateUser', 'GetUser', 'UpdateUser', 'DeleteUser', 'ListUsers', 'GetUserByEmail'];
    expect(Object.keys(service).sort()).toEqual([...calls].sort());
    for (const call of calls) {
      expect(service[call]).toMatchObject({
        path: `/emporium.user.v1.UserService/${call}`,
        requestStream: false,
        responseStream: false,
      });
    }
  });

  it.each(Object.entries(EXPECTED_FIELDS))(
    'declares exactly the fields of the TS type of %s',
    (name, fields) => {
      expect(
        message(name)
          .field.map((field) => camelCase(field.name))
          .sort(),
      ).toEqual(fields);
    },
  );

  it("never reuses the e-mail field of the seeds' UpdateUserRequest: the address follows auth", () => {
    const update = message('UpdateUserRequest');
    expect(update.reservedName).toContain('email');
    expect(update.reservedRange).toContainEqual(expect.objectContaining({ start: 3 }));
  });

  it('round-trips a user through the wire format with timestamps and int64 seconds as strings', () => {
    const service = definition[grpcServiceName(USER_GRPC)] as ServiceDefinition;
    const user: UserMessage = {
      id: '0b8f3b4e-1c1d-4d7e-9c55-3f4f2f1e6a01',
      name: 'Ada',
      email: 'ada@example.com',
      createdAt: { seconds: '1767225600', nanos: 123_000_000 },
      updatedAt: { seconds: '1767225601', nanos: 0 },
    };
    const { GetUser } = service;
    expect(GetUser.responseDeserialize(GetUser.responseSerialize(user))).toEqual(user);
  });
});
