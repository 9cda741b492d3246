// Imported first by main.ts: tracing must patch http, pg and Nest before anything requires them.
import { startTracing } from '@emporium/platform/tracing';

startTracing({ serviceName: 'user', serviceVersion: '0.1.0' });
