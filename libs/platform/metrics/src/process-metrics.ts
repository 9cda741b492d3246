import { collectDefaultMetrics, Registry } from 'prom-client';

let processRegistry: Registry | undefined;

/**
 * The runtime's own metrics (CPU, RSS, heap, event-loop lag, GC, handles), collected once per process.
 * They describe the process, not an app, so every app built in the same process (tests build several)
 * shares them instead of starting another event-loop monitor and GC observer each time.
 */
export function processMetricsRegistry(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}
