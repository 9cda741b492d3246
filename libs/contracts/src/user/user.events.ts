import { IsEmail, IsString, IsUUID, Length, Matches, MaxLength } from 'class-validator';

/**
 * Published by auth on `auth.events` when an account is created (by registration or the admin bootstrap):
 * the user exists from now on, and the user service keeps their profile. Carries no credential of any kind.
 */
export class UserRegistered {
  static readonly type = 'user.registered';
  static readonly source = 'auth';

  @IsUUID()
  userId!: string;

  /** Normalised by auth (trimmed, lower-case); unique among accounts. */
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'must not be blank' })
  name!: string;
}
