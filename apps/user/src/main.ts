import './instrument';

import { bootstrapService } from '@emporium/platform/http';
import { deadLetterCommand } from '@emporium/platform/messaging';

import { AppModule } from './app/app.module';
import { USER_DATABASE, USER_SERVICE } from './app/service';
import { startGrpcServer } from './grpc/grpc-server';

bootstrapService(AppModule, USER_SERVICE, {
  database: USER_DATABASE,
  beforeListen: startGrpcServer,
  commands: { dlq: deadLetterCommand },
});
