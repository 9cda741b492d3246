import { DomainError } from '@emporium/platform/http';

/** A user's profile: what this service keeps about an account whose credentials live in auth. */
export interface Profile {
  /** The account id auth issued (the `sub` of the user's access tokens). */
  id: string;
  /** A copy of the account's address, kept for look-ups; it changes only through auth. */
  email: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

/** The columns every profile query selects, in the shape `toProfile` reads. */
export const PROFILE_COLUMNS = 'id, email, name, created_at, updated_at';

export interface ProfileRow {
  id: string;
  email: string;
  name: string;
  created_at: Date;
  updated_at: Date;
}

export function toProfile(row: ProfileRow): Profile {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export const profileNotFound = (id: string): DomainError =>
  new DomainError('PROFILE_NOT_FOUND', 'not_found', `No profile with id ${id}`);

/** Longest name and e-mail address kept; the same bounds as auth's `user.registered`. */
export const MAX_NAME_LENGTH = 100;
export const MAX_EMAIL_LENGTH = 254;
