import { AuthEnv, PgEnv } from '@emporium/platform/config';
import { ServiceDatabase } from '@emporium/platform/database';
import { DiscoveryEnv } from '@emporium/platform/discovery';
import { ServiceDescriptor } from '@emporium/platform/http';
import { RmqEnv } from '@emporium/platform/messaging';

import {
  AdminBootstrapEnv,
  AuthRateLimitEnv,
  PasswordHashingEnv,
  RefreshTokenEnv,
  SigningKeyEnv,
} from '../config/auth-service.env';
import { CreateMessagingTables1764200000000 } from '../migrations/1764200000000-create-messaging-tables';
import { CreateRateLimitTable1795556000000 } from '../migrations/1795556000000-create-rate-limit-table';
import { CreateIdentity1795556100000 } from '../migrations/1795556100000-create-identity';

export const AUTH_SERVICE: ServiceDescriptor = {
  name: 'auth',
  version: '0.1.0',
  defaultPort: 3001,
  description: 'Credentials, tokens and signing keys: register, login, refresh, logout, JWKS.',
  env: [
    PgEnv,
    AuthEnv,
    PasswordHashingEnv,
    SigningKeyEnv,
    RefreshTokenEnv,
    AdminBootstrapEnv,
    AuthRateLimitEnv,
    RmqEnv,
    DiscoveryEnv,
  ],
};

export const AUTH_DATABASE: ServiceDatabase = {
  schema: 'auth',
  entities: [],
  // Oldest first. `node main.js migrate` creates the schema, then applies these (src/migrations/
  // <timestamp>-<kebab-description>.ts, see the README); service.spec.ts fails if a file is left out.
  migrations: [
    CreateMessagingTables1764200000000,
    CreateRateLimitTable1795556000000,
    CreateIdentity1795556100000,
  ],
};
