import './instrument';

import { bootstrapService } from '@emporium/platform/http';

import { AppModule } from './app/app.module';
import { AUTH_DATABASE, AUTH_SERVICE } from './app/service';

bootstrapService(AppModule, AUTH_SERVICE, { database: AUTH_DATABASE });
