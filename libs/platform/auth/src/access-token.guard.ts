import { CanActivate, ExecutionContext, ForbiddenException, Injectable, Logger, Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

import { AccessTokenVerifier } from './access-token-verifier';
import { IS_PUBLIC_KEY, ROLES_KEY } from './auth.decorators';
import { InvalidAccessTokenException, MissingAccessTokenException } from './auth.exceptions';
import { AuthenticatedUser, Role } from './authenticated-user';
import { readBearerToken } from './bearer-token';

interface RoutePolicy {
  readonly isPublic: boolean;
  readonly roles?: readonly Role[];
}

interface HttpRequest {
  headers: Record<string, string | string[] | undefined>;
  user?: AuthenticatedUser;
}

/** Fastify's reply and Express's response both have one of these. */
interface HttpResponse {
  header?: (name: string, value: string) => unknown;
  setHeader?: (name: string, value: string) => unknown;
}

// RFC 6750 section 3: no error code when the client sent no bearer token at all.
const CHALLENGE = 'Bearer';
const INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token"';

/**
 * Every HTTP route needs a valid access token unless it is @Public(); @Roles() then needs one of the
 * roles. Registered app-wide by AuthModule. RPC and broker handlers are left alone: they are not reached
 * with a user's token.
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  private readonly logger = new Logger(AccessTokenGuard.name);
  // Decorator metadata is fixed once classes are defined, so it is read once per route, not per request.
  private readonly policies = new WeakMap<Type<unknown>, WeakMap<object, RoutePolicy>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: AccessTokenVerifier,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const policy = this.policyOf(context);
    if (policy.isPublic) return true;
    return this.authenticate(context, policy);
  }

  private async authenticate(context: ExecutionContext, policy: RoutePolicy): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<HttpRequest>();
    const credentials = readBearerToken(request.headers['authorization']);
    if (credentials.kind === 'none') {
      setHeader(http.getResponse<HttpResponse>(), 'WWW-Authenticate', CHALLENGE);
      throw new MissingAccessTokenException();
    }
    let user: AuthenticatedUser;
    try {
      if (credentials.kind === 'malformed') throw new InvalidAccessTokenException('malformed');
      user = await this.verifier.verify(credentials.token);
    } catch (error) {
      if (error instanceof InvalidAccessTokenException) {
        this.logger.debug(`Access token rejected: ${error.reason}`);
        setHeader(http.getResponse<HttpResponse>(), 'WWW-Authenticate', INVALID_TOKEN_CHALLENGE);
      }
      throw error;
    }
    request.user = user;
    if (policy.roles !== undefined && !policy.roles.some((role) => user.roles.includes(role))) {
      throw new ForbiddenException('Insufficient role');
    }
    return true;
  }

  private policyOf(context: ExecutionContext): RoutePolicy {
    const controller = context.getClass();
    const handler = context.getHandler();
    let byHandler = this.policies.get(controller);
    if (byHandler === undefined) {
      byHandler = new WeakMap();
      this.policies.set(controller, byHandler);
    }
    let policy = byHandler.get(handler);
    if (policy === undefined) {
      const targets = [handler, controller];
      const roles = this.reflector.getAllAndOverride<readonly Role[] | undefined>(ROLES_KEY, targets);
      const isPublic =
        roles === undefined && this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets) === true;
      policy = Object.freeze({ isPublic, roles });
      byHandler.set(handler, policy);
    }
    return policy;
  }
}

function setHeader(response: HttpResponse, name: string, value: string): void {
  if (typeof response.header === 'function') response.header(name, value);
  else response.setHeader?.(name, value);
}
