import { AuthModule } from '@emporium/platform/auth';
import { DatabaseModule } from '@emporium/platform/database';
import { DiscoveryModule } from '@emporium/platform/discovery';
import { PlatformModule } from '@emporium/platform/http';
import { MessagingModule } from '@emporium/platform/messaging';
import { Module } from '@nestjs/common';

import { IdentityModule } from '../identity/identity.module';
import { AUTH_DATABASE, AUTH_SERVICE } from './service';

@Module({
  imports: [
    PlatformModule.forService(AUTH_SERVICE),
    DiscoveryModule.forRoot(),
    DatabaseModule.forRoot(AUTH_DATABASE),
    AuthModule.forRoot(),
    MessagingModule.forRoot(),
    IdentityModule,
  ],
})
export class AppModule {}
