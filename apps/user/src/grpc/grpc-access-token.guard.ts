import {
  AccessTokenVerifier,
  AuthenticatedUser,
  InvalidAccessTokenException,
  MissingAccessTokenException,
  Role,
  ROLES_KEY,
} from '@emporium/platform/auth';
import { Metadata } from '@grpc/grpc-js';
import {
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  Logger,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';

/** The metadata key a gRPC client sends its access token under (`authorization: Bearer <token>`). */
export const AUTHORIZATION_METADATA = 'authorization';

// Callers verified by the guard, by the call's metadata object (one per call, dropped with it).
const callers = new WeakMap<Metadata, AuthenticatedUser>();

/**
 * The access token of a call, from `authorization: Bearer <token>` (RFC 6750's syntax, as over HTTP). No
 * value, or another scheme, is a missing token; several values or an empty token are malformed.
 */
export function bearerTokenOf(metadata: Metadata): string {
  const values = metadata.get(AUTHORIZATION_METADATA);
  if (values.length === 0) throw new MissingAccessTokenException();
  const [value] = values;
  if (values.length > 1 || typeof value !== 'string') throw new InvalidAccessTokenException('malformed');
  if (value.slice(0, 7).toLowerCase() !== 'bearer ') throw new MissingAccessTokenException();
  const token = value.slice(7).trim();
  if (token.length === 0) throw new InvalidAccessTokenException('malformed');
  return token;
}

/**
 * The gRPC counterpart of the platform's HTTP guard (which leaves RPC alone): every call needs a valid
 * access token in its metadata, verified by the same AccessTokenVerifier (keys, issuer, audience, RFC 8725
 * checks), and `@Roles()` on a handler needs one of the roles. The token is removed from the metadata once
 * read, so nothing later in the call can log or forward it.
 */
@Injectable()
export class GrpcAccessTokenGuard implements CanActivate {
  private readonly logger = new Logger(GrpcAccessTokenGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: AccessTokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'rpc') return true;
    const metadata = context.switchToRpc().getContext<Metadata>();
    let user: AuthenticatedUser;
    try {
      const token = bearerTokenOf(metadata);
      user = await this.verifier.verify(token);
    } catch (error) {
      if (error instanceof InvalidAccessTokenException) {
        this.logger.debug(`Access token rejected: ${error.reason}`);
      }
      throw error;
    } finally {
      metadata.remove(AUTHORIZATION_METADATA);
    }
    const roles = this.reflector.getAllAndOverride<readonly Role[] | undefined>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (roles !== undefined && !roles.some((role) => user.roles.includes(role))) {
      throw new ForbiddenException('Insufficient role');
    }
    callers.set(metadata, user);
    return true;
  }
}

export function grpcCallerFactory(_: unknown, context: ExecutionContext): AuthenticatedUser {
  const user = callers.get(context.switchToRpc().getContext<Metadata>());
  // Only reachable on a handler without the guard: refuse rather than hand over undefined.
  if (user === undefined) throw new MissingAccessTokenException();
  return user;
}

/** The verified caller of a gRPC call (set by GrpcAccessTokenGuard). */
export const GrpcCaller = createParamDecorator(grpcCallerFactory);
