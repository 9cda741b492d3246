import { AuthEnv, PgEnv } from '@emporium/platform/config';
import { ServiceDatabase } from '@emporium/platform/database';
import { DiscoveryEnv } from '@emporium/platform/discovery';
import { ServiceDescriptor } from '@emporium/platform/http';
import { CreateMessagingTables1764200000000, RmqEnv } from '@emporium/platform/messaging';

import { CreateCatalog1764000000000 } from '../migrations/1764000000000-create-catalog';
import { CategoryEntity, ProductEntity } from '../products/product.entity';

export const PRODUCT_SERVICE: ServiceDescriptor = {
  name: 'product',
  version: '0.1.0',
  defaultPort: 3003,
  description: 'The catalog: products with prices, categories, full-text search.',
  env: [PgEnv, AuthEnv, RmqEnv, DiscoveryEnv],
};

export const PRODUCT_DATABASE: ServiceDatabase = {
  schema: 'product',
  entities: [ProductEntity, CategoryEntity],
  migrations: [CreateCatalog1764000000000, CreateMessagingTables1764200000000],
};
