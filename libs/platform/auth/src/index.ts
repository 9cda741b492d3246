export { AccessTokenGuard } from './access-token.guard';
export { AccessTokenVerifier } from './access-token-verifier';
export {
  ACCESS_TOKEN_SECURITY,
  ApiAccessToken,
  CurrentUser,
  ensureOwnerOrAdmin,
  hasRole,
  IS_PUBLIC_KEY,
  Public,
  Roles,
  ROLES_KEY,
} from './auth.decorators';
export type { AccessTokenRejection } from './auth.exceptions';
export {
  AccessTokenKeysUnavailableException,
  InvalidAccessTokenException,
  MissingAccessTokenException,
} from './auth.exceptions';
export type { AuthModuleOptions } from './auth.module';
export { AuthModule } from './auth.module';
export type { AuthenticatedUser, Role } from './authenticated-user';
export { isRole, ROLES } from './authenticated-user';
