// The shared rate-limit store's table (libs/platform/rate-limit), created in this service's schema.
export { CreateRateLimitTable1795556000000 } from '@emporium/platform/rate-limit';
