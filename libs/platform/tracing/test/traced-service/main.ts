import './instrument';

import { serve } from './app';

serve().catch((error: unknown) => {
  process.stderr.write(`traced-service failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
