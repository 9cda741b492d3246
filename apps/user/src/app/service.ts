import { AuthEnv, PgEnv } from '@emporium/platform/config';
import { ServiceDatabase } from '@emporium/platform/database';
import { ServiceDescriptor } from '@emporium/platform/http';

export const USER_SERVICE: ServiceDescriptor = {
  name: 'user',
  version: '0.1.0',
  defaultPort: 3002,
  description: 'User profiles and addresses, over REST and gRPC.',
  env: [PgEnv, AuthEnv],
};

export const USER_DATABASE: ServiceDatabase = {
  schema: 'user',
  entities: [],
  // Oldest first. `node main.js migrate` creates the schema, then applies these (src/migrations/
  // <timestamp>-<kebab-description>.ts, see the README); service.spec.ts fails if a file is left out.
  migrations: [],
};
