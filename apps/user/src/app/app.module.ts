import { AuthModule } from '@emporium/platform/auth';
import { DatabaseModule } from '@emporium/platform/database';
import { DiscoveryModule } from '@emporium/platform/discovery';
import { PlatformModule } from '@emporium/platform/http';
import { MessagingModule } from '@emporium/platform/messaging';
import { Module } from '@nestjs/common';

import { AddressesModule } from '../addresses/addresses.module';
import { GrpcModule } from '../grpc/grpc.module';
import { ProfilesModule } from '../profiles/profiles.module';
import { USER_DATABASE, USER_SERVICE } from './service';

@Module({
  imports: [
    PlatformModule.forService(USER_SERVICE),
    DiscoveryModule.forRoot(),
    DatabaseModule.forRoot(USER_DATABASE),
    AuthModule.forRoot(),
    MessagingModule.forRoot(),
    GrpcModule,
    ProfilesModule,
    AddressesModule,
  ],
})
export class AppModule {}
