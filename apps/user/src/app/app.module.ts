import { AuthModule } from '@emporium/platform/auth';
import { DatabaseModule } from '@emporium/platform/database';
import { PlatformModule } from '@emporium/platform/http';
import { Module } from '@nestjs/common';

import { USER_DATABASE, USER_SERVICE } from './service';

@Module({
  imports: [
    PlatformModule.forService(USER_SERVICE),
    DatabaseModule.forRoot(USER_DATABASE),
    AuthModule.forRoot(),
  ],
})
export class AppModule {}
