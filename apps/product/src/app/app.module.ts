import { AuthModule } from '@emporium/platform/auth';
import { DatabaseModule } from '@emporium/platform/database';
import { PlatformModule } from '@emporium/platform/http';
import { Module } from '@nestjs/common';

import { ProductsModule } from '../products/products.module';
import { PRODUCT_DATABASE, PRODUCT_SERVICE } from './service';

@Module({
  imports: [
    PlatformModule.forService(PRODUCT_SERVICE),
    DatabaseModule.forRoot(PRODUCT_DATABASE),
    AuthModule.forRoot(),
    ProductsModule,
  ],
})
export class AppModule {}
