import { createTestApp, TestApp } from '@emporium/platform/test-app';
import { TestTokenIssuer } from '@emporium/platform/testing';
import request from 'supertest';

import { AppModule } from '../src/app/app.module';
import { PRODUCT_DATABASE, PRODUCT_SERVICE } from '../src/app/service';
import { ProductView } from '../src/products/dto/product.view';
import { productInput } from './factories';

export interface ProductTestContext {
  testApp: TestApp;
  issuer: TestTokenIssuer;
  adminToken: string;
  customerToken: string;
  close(): Promise<void>;
}

/** The real product app on its own migrated database, with a token issuer standing in for auth. */
export async function startProductApp(
  env: Record<string, string> = {},
  routeDatabase?: (url: string) => string,
): Promise<ProductTestContext> {
  const issuer = await TestTokenIssuer.start();
  const testApp = await createTestApp({
    module: AppModule,
    service: PRODUCT_SERVICE,
    database: PRODUCT_DATABASE,
    broker: true,
    routeDatabase,
    env: { ...issuer.env(), ...env },
  });
  return {
    testApp,
    issuer,
    adminToken: await issuer.mint({ roles: ['admin'] }),
    customerToken: await issuer.mint({ roles: ['customer'] }),
    close: async () => {
      await testApp.close();
      await issuer.stop();
    },
  };
}

export async function createProduct(
  ctx: ProductTestContext,
  overrides: Parameters<typeof productInput>[0] = {},
): Promise<ProductView> {
  const response = await request(ctx.testApp.server)
    .post('/api/v1/products')
    .auth(ctx.adminToken, { type: 'bearer' })
    .send(productInput(overrides))
    .expect(201);
  return response.body as ProductView;
}
