import { AuthModule } from '@emporium/platform/auth';
import { DatabaseModule } from '@emporium/platform/database';
import { PlatformModule } from '@emporium/platform/http';
import { Module } from '@nestjs/common';

import { AUTH_DATABASE, AUTH_SERVICE } from './service';

@Module({
  imports: [
    PlatformModule.forService(AUTH_SERVICE),
    DatabaseModule.forRoot(AUTH_DATABASE),
    AuthModule.forRoot(),
  ],
})
export class AppModule {}
