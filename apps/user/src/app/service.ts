import { AuthEnv, PgEnv } from '@emporium/platform/config';
import { ServiceDatabase } from '@emporium/platform/database';
import { DiscoveryEnv } from '@emporium/platform/discovery';
import { ServiceDescriptor } from '@emporium/platform/http';
import { RmqEnv } from '@emporium/platform/messaging';

import { GrpcEnv } from '../grpc/grpc.env';
import { CreateMessagingTables1764200000000 } from '../migrations/1764200000000-create-messaging-tables';
import { CreateProfilesAndAddresses1795556227215 } from '../migrations/1795556227215-create-profiles-and-addresses';

export const USER_SERVICE: ServiceDescriptor = {
  name: 'user',
  version: '0.1.0',
  defaultPort: 3002,
  description: 'User profiles and addresses, over REST and gRPC.',
  env: [PgEnv, AuthEnv, RmqEnv, DiscoveryEnv, GrpcEnv],
};

export const USER_DATABASE: ServiceDatabase = {
  schema: 'user',
  // Plain SQL on the pool, no ORM entities: every statement is written out (ON CONFLICT, row locks, keysets).
  entities: [],
  // Oldest first. `node main.js migrate` creates the schema, then applies these (src/migrations/
  // <timestamp>-<kebab-description>.ts, see the README); service.spec.ts fails if a file is left out.
  migrations: [CreateMessagingTables1764200000000, CreateProfilesAndAddresses1795556227215],
};
