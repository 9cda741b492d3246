import { PUBLIC_ROUTE_KEY } from '@emporium/platform/health';
import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  NotFoundException,
  SetMetadata,
} from '@nestjs/common';
import { ApiBearerAuth, ApiUnauthorizedResponse } from '@nestjs/swagger';

import { MissingAccessTokenException } from './auth.exceptions';
import { AuthenticatedUser, Role } from './authenticated-user';

/** Metadata key of @Public(), shared with the health lib's PublicRoute() for operational endpoints. */
export const IS_PUBLIC_KEY = PUBLIC_ROUTE_KEY;
export const ROLES_KEY = 'emporium:roles';
/** Name of the bearer security scheme in the OpenAPI document (the default of DocumentBuilder.addBearerAuth). */
export const ACCESS_TOKEN_SECURITY = 'bearer';

/** Lets a route, or every route of a controller, be called without an access token. */
export const Public = (): ClassDecorator & MethodDecorator => SetMetadata(IS_PUBLIC_KEY, true);

/**
 * Requires the caller to hold at least one of the roles (403 otherwise). On a method it replaces the
 * controller's @Roles. It also wins over @Public: a route that names roles always requires a token.
 */
export const Roles = (role: Role, ...more: Role[]): ClassDecorator & MethodDecorator =>
  SetMetadata(ROLES_KEY, Object.freeze([role, ...more]));

export function currentUserFactory(
  field: keyof AuthenticatedUser | undefined,
  context: ExecutionContext,
): AuthenticatedUser | AuthenticatedUser[keyof AuthenticatedUser] {
  const user = context.switchToHttp().getRequest<{ user?: AuthenticatedUser }>().user;
  // Only reachable on a @Public() route, where no token was checked: refuse rather than hand over undefined.
  if (user === undefined) throw new MissingAccessTokenException();
  return field === undefined ? user : user[field];
}

/** The verified caller, or one of its fields: `@CurrentUser() user` or `@CurrentUser('id') userId`. */
export const CurrentUser = createParamDecorator(currentUserFactory);

/** Marks a controller or route in the OpenAPI document as needing a bearer access token. */
export const ApiAccessToken = (): ClassDecorator & MethodDecorator =>
  applyDecorators(
    ApiBearerAuth(ACCESS_TOKEN_SECURITY),
    ApiUnauthorizedResponse({ description: 'Missing, invalid or expired access token' }),
  );

export function hasRole(user: AuthenticatedUser, role: Role): boolean {
  return user.roles.includes(role);
}

/**
 * Lets admins through and customers only to their own resources. Anyone else gets the same 404 a missing
 * resource gives, so ids of other people's resources cannot be probed. Pass `notFound` to throw the
 * service's own not-found error, so both cases answer identically.
 */
export function ensureOwnerOrAdmin(
  user: AuthenticatedUser,
  ownerId: string,
  notFound: () => Error = () => new NotFoundException(),
): void {
  if (hasRole(user, 'admin')) return;
  if (user.id !== ownerId.toLowerCase()) throw notFound();
}
