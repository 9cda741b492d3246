import './instrument';

import { bootstrapService } from '@emporium/platform/http';

import { AppModule } from './app/app.module';
import { USER_DATABASE, USER_SERVICE } from './app/service';

bootstrapService(AppModule, USER_SERVICE, { database: USER_DATABASE });
