export type { EventGeneratorSchema } from './event/generator';
export { EVENT_TYPE, eventGenerator } from './event/generator';
export type { ServiceGeneratorSchema } from './service/generator';
export { serviceGenerator } from './service/generator';
