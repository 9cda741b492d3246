import { AuthModule } from '@emporium/platform/auth';
import { DatabaseModule } from '@emporium/platform/database';
import { DiscoveryModule } from '@emporium/platform/discovery';
import { PlatformModule } from '@emporium/platform/http';
import { MessagingModule } from '@emporium/platform/messaging';
import { Module } from '@nestjs/common';

import { ProductsModule } from '../products/products.module';
import { PRODUCT_DATABASE, PRODUCT_SERVICE } from './service';

@Module({
  imports: [
    PlatformModule.forService(PRODUCT_SERVICE),
    DiscoveryModule.forRoot(),
    DatabaseModule.forRoot(PRODUCT_DATABASE),
    AuthModule.forRoot(),
    MessagingModule.forRoot(),
    ProductsModule,
  ],
})
export class AppModule {}
