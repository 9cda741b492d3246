// As in every service: imported first, before Nest, pg or http are loaded.
import { startTracing } from '../../src';

startTracing({ serviceName: 'traced-fixture', serviceVersion: '1.2.3' });
