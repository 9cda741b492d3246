import { DomainError } from '@emporium/platform/http';

/** A postal address in a user's address book. */
export interface Address {
  id: string;
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
}

/** How many addresses one user may keep: enough for anyone, and a bound on what one account can store. */
export const MAX_ADDRESSES_PER_USER = 20;

export const ADDRESS_COLUMNS = 'id, line1, line2, city, postal_code, country';

export interface AddressRow {
  id: string;
  line1: string;
  line2: string | null;
  city: string;
  postal_code: string;
  country: string;
}

export function toAddress(row: AddressRow): Address {
  return {
    id: row.id,
    line1: row.line1,
    ...(row.line2 === null ? {} : { line2: row.line2 }),
    city: row.city,
    postalCode: row.postal_code,
    country: row.country,
  };
}

/** Also the answer for another user's address: its existence is not revealed. */
export const addressNotFound = (id: string): DomainError =>
  new DomainError('ADDRESS_NOT_FOUND', 'not_found', `No address with id ${id}`);
