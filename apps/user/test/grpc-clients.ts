import { dirname, join, resolve } from 'node:path';

import {
  CreateUserRequest,
  DeleteUserRequest,
  GetUserByEmailRequest,
  GetUserRequest,
  grpcServiceName,
  ListUsersRequest,
  ListUsersResponse,
  PROTO_LOADER_OPTIONS,
  UpdateUserRequest,
  USER_GRPC,
  UserMessage,
} from '@emporium/contracts';
import { Client, ClientReadableStream, credentials, Metadata, ServiceError } from '@grpc/grpc-js';
import { loadSync, MethodDefinition, ServiceDefinition } from '@grpc/proto-loader';
import { protoPath as healthProtoPath, ServingStatus } from 'grpc-health-check';

/** Each call of the UserService: its request and its response, as libs/contracts types them. */
interface UserCalls {
  CreateUser: [CreateUserRequest, UserMessage];
  GetUser: [GetUserRequest, UserMessage];
  UpdateUser: [UpdateUserRequest, UserMessage];
  DeleteUser: [DeleteUserRequest, Record<string, never>];
  ListUsers: [ListUsersRequest, ListUsersResponse];
  GetUserByEmail: [GetUserByEmailRequest, UserMessage];
}
export type UserCall = keyof UserCalls;
export const USER_CALLS: readonly UserCall[] = [
  'CreateUser',
  'GetUser',
  'UpdateUser',
  'DeleteUser',
  'ListUsers',
  'GetUserByEmail',
];

export interface CallOptions<Req> {
  /** Sent as `authorization: Bearer <token>`. */
  token?: string;
  /** Sent as is (another scheme, several values, …). */
  authorization?: string | string[];
  requestId?: string;
  /** Replaces the generated serializer, to put on the wire what this proto would not write. */
  serialize?: (request: Partial<Req>) => Buffer;
}

/** A failed call as a test sees it: status code, details, and the trailing metadata as plain values. */
export interface CallFailure {
  code: number;
  details: string;
  trailers: Record<string, unknown>;
}

const userDefinition = loadSync(USER_GRPC.protoPath, PROTO_LOADER_OPTIONS);
const userService = userDefinition[grpcServiceName(USER_GRPC)] as ServiceDefinition;

function metadataFor(options: {
  token?: string;
  authorization?: string | string[];
  requestId?: string;
}): Metadata {
  const metadata = new Metadata();
  if (options.token !== undefined) metadata.set('authorization', `Bearer ${options.token}`);
  for (const value of [options.authorization ?? []].flat()) metadata.add('authorization', value);
  if (options.requestId !== undefined) metadata.set('x-request-id', options.requestId);
  return metadata;
}

function failureOf(error: ServiceError): CallFailure {
  return { code: error.code, details: error.details, trailers: error.metadata.getMap() };
}

/** A real @grpc/grpc-js client of the UserService, loaded from the same .proto as the server. */
export class UserGrpcClient {
  private readonly client: Client;

  constructor(readonly port: number) {
    this.client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  }

  /** Resolves with the response (and the response headers); rejects with a CallFailure. */
  async call<M extends UserCall>(
    method: M,
    request: Partial<UserCalls[M][0]>,
    options: CallOptions<UserCalls[M][0]> = {},
  ): Promise<UserCalls[M][1]> {
    return (await this.callWithHeaders(method, request, options)).response;
  }

  callWithHeaders<M extends UserCall>(
    method: M,
    request: Partial<UserCalls[M][0]>,
    options: CallOptions<UserCalls[M][0]> = {},
  ): Promise<{ response: UserCalls[M][1]; headers: Record<string, unknown> }> {
    const definition = userService[method] as MethodDefinition<Partial<UserCalls[M][0]>, UserCalls[M][1]>;
    let headers: Record<string, unknown> = {};
    return new Promise((resolvePromise, reject) => {
      const call = this.client.makeUnaryRequest(
        definition.path,
        options.serialize ?? definition.requestSerialize,
        definition.responseDeserialize,
        request,
        metadataFor(options),
        (error, response) => {
          if (error) reject(failureOf(error));
          else resolvePromise({ response: response as UserCalls[M][1], headers });
        },
      );
      call.on('metadata', (metadata: Metadata) => {
        headers = metadata.getMap();
      });
    });
  }

  /** Encodes a request with this proto's serializer, for tests that append fields it does not know. */
  encode<M extends UserCall>(method: M, request: Partial<UserCalls[M][0]>): Buffer {
    return (userService[method] as MethodDefinition<Partial<UserCalls[M][0]>, unknown>).requestSerialize(
      request,
    );
  }

  close(): void {
    this.client.close();
  }
}

const healthDefinition = loadSync('health/v1/health.proto', {
  ...PROTO_LOADER_OPTIONS,
  includeDirs: [resolve(dirname(healthProtoPath), '../..')],
});
const healthService = healthDefinition['grpc.health.v1.Health'] as ServiceDefinition;

/** A client of the standard health service (grpc.health.v1.Health). */
export class HealthClient {
  private readonly client: Client;

  constructor(port: number) {
    this.client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  }

  check(service = ''): Promise<ServingStatus> {
    const method = healthService['Check'] as MethodDefinition<{ service: string }, { status: ServingStatus }>;
    return new Promise((resolvePromise, reject) => {
      this.client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        { service },
        new Metadata(),
        (error, response) =>
          error ? reject(failureOf(error)) : resolvePromise((response as { status: ServingStatus }).status),
      );
    });
  }

  /** The statuses a Watch stream reports, as they come; cancel the stream when done. */
  watch(service = ''): {
    statuses: ServingStatus[];
    stream: ClientReadableStream<{ status: ServingStatus }>;
  } {
    const method = healthService['Watch'] as MethodDefinition<{ service: string }, { status: ServingStatus }>;
    const stream = this.client.makeServerStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      { service },
      new Metadata(),
    );
    const statuses: ServingStatus[] = [];
    stream.on('data', (message: { status: ServingStatus }) => statuses.push(message.status));
    // Cancellation and the server going away end the stream with an error; the test looks at statuses.
    stream.on('error', () => undefined);
    return { statuses, stream };
  }

  close(): void {
    this.client.close();
  }
}

const REFLECTION_PROTO_ROOT = join(dirname(require.resolve('@grpc/reflection')), '../proto');
const reflectionDefinition = loadSync('grpc/reflection/v1/reflection.proto', {
  ...PROTO_LOADER_OPTIONS,
  includeDirs: [REFLECTION_PROTO_ROOT],
});
const reflectionService = reflectionDefinition['grpc.reflection.v1.ServerReflection'] as ServiceDefinition;

interface ReflectionResponse {
  listServicesResponse: { service: { name: string }[] } | null;
  fileDescriptorResponse: { fileDescriptorProto: Buffer[] } | null;
  errorResponse: { errorCode: number; errorMessage: string } | null;
}

/** A client of server reflection (grpc.reflection.v1), as grpcurl uses it. */
export class ReflectionClient {
  private readonly client: Client;

  constructor(port: number) {
    this.client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  }

  async listServices(): Promise<string[]> {
    const response = await this.ask({ listServices: '' });
    return (response.listServicesResponse?.service ?? []).map((service) => service.name);
  }

  /** The names of the files describing `symbol` (its own file first, then its imports). */
  async filesContaining(symbol: string): Promise<Buffer[]> {
    const response = await this.ask({ fileContainingSymbol: symbol });
    if (response.errorResponse) throw new Error(response.errorResponse.errorMessage);
    return response.fileDescriptorResponse?.fileDescriptorProto ?? [];
  }

  private ask(request: Record<string, string>): Promise<ReflectionResponse> {
    const method = reflectionService['ServerReflectionInfo'] as MethodDefinition<
      Record<string, string>,
      ReflectionResponse
    >;
    const stream = this.client.makeBidiStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      new Metadata(),
    );
    return new Promise((resolvePromise, reject) => {
      stream.once('data', (response: ReflectionResponse) => {
        resolvePromise(response);
        stream.end();
      });
      stream.once('error', reject);
      stream.write(request);
    });
  }

  close(): void {
    this.client.close();
  }
}
