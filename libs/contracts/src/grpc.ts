import { join } from 'node:path';

/**
 * The directory holding the `.proto` files of Emporium's gRPC APIs (`src/proto`, laid out by package:
 * `emporium/user/v1/user.proto`). This file sits beside that directory, and an app bundle copies it beside
 * its `main.js` (webpack `assets`: `libs/contracts/src/proto` -> `proto`), so the path holds in both the
 * source tree (tests) and a built app, which keeps `__dirname`.
 */
export const PROTO_ROOT = join(__dirname, 'proto');

/**
 * How servers and clients load these protos (`@grpc/proto-loader`), so both see the same shapes: fields in
 * camelCase, 64-bit integers and enums as strings, unset scalars as their defaults (`''`, `0`), unset
 * messages as `null`. Relative proto paths resolve against PROTO_ROOT, which also names the files in
 * reflection as `emporium/user/v1/user.proto`.
 */
export const PROTO_LOADER_OPTIONS = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

/** What a gRPC server or client needs to name one of Emporium's gRPC services. */
export interface GrpcServiceContract {
  /** The proto package, e.g. `emporium.user.v1`. */
  readonly package: string;
  /** The service name inside the package, e.g. `UserService`. */
  readonly service: string;
  /** The `.proto` file, relative to PROTO_ROOT. */
  readonly protoPath: string;
}

/** Fully-qualified service name, as gRPC paths, health checks and reflection spell it. */
export function grpcServiceName(contract: GrpcServiceContract): string {
  return `${contract.package}.${contract.service}`;
}
