import './instrument';

import { bootstrapService } from '@emporium/platform/http';

import { AppModule } from './app/app.module';
import { PRODUCT_DATABASE, PRODUCT_SERVICE } from './app/service';
import { seedDemoCatalog } from './demo/demo-catalog';

bootstrapService(AppModule, PRODUCT_SERVICE, {
  database: PRODUCT_DATABASE,
  commands: { seed: seedDemoCatalog },
});
