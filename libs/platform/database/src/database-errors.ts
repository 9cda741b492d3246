import { QueryFailedError } from 'typeorm';

interface DriverError {
  code?: string;
  constraint?: string;
  message?: string;
}

// SQLSTATE classes and codes that mean "the database cannot serve right now", not "the request is bad":
// 08 connection exceptions, 53 insufficient resources, 57P0x shutdown, 57014 statement timeout.
const UNAVAILABLE_SQLSTATES = /^(08...|53...|57P0[1-4]|57014)$/;
const UNAVAILABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection is not established',
  'Cannot use a pool after calling end on the pool',
];

function driverErrorOf(error: unknown): DriverError | undefined {
  if (error instanceof QueryFailedError) return error.driverError as DriverError;
  if (typeof error === 'object' && error !== null) return error as DriverError;
  return undefined;
}

/** True when the error means the database is down or overloaded: answer 503, not 4xx or 500. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const driver = driverErrorOf(error);
  if (!driver) return false;
  if (driver.code && (UNAVAILABLE_SQLSTATES.test(driver.code) || UNAVAILABLE_NODE_CODES.has(driver.code))) {
    return true;
  }
  const message = driver.message ?? '';
  return UNAVAILABLE_MESSAGES.some((fragment) => message.includes(fragment));
}

/** True when the error is a unique violation, optionally of one named constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const driver = driverErrorOf(error);
  return driver?.code === '23505' && (constraint === undefined || driver.constraint === constraint);
}
