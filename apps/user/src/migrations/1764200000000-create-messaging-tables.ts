// The outbox and inbox of the messaging lib (libs/platform/messaging), created in this service's schema.
export { CreateMessagingTables1764200000000 } from '@emporium/platform/messaging';
