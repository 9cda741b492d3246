import { AuthEnv, PgEnv } from '@emporium/platform/config';
import { ServiceDatabase } from '@emporium/platform/database';
import { ServiceDescriptor } from '@emporium/platform/http';

export const AUTH_SERVICE: ServiceDescriptor = {
  name: 'auth',
  version: '0.1.0',
  defaultPort: 3001,
  description: 'Credentials, tokens and signing keys: register, login, refresh, logout, JWKS.',
  env: [PgEnv, AuthEnv],
};

export const AUTH_DATABASE: ServiceDatabase = {
  schema: 'auth',
  entities: [],
  // Oldest first. `node main.js migrate` creates the schema, then applies these (src/migrations/
  // <timestamp>-<kebab-description>.ts, see the README); service.spec.ts fails if a file is left out.
  migrations: [],
};
