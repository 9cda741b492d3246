import { applyDecorators } from '@nestjs/common';
import { IsEmail, IsString, Length, Matches, MaxLength } from 'class-validator';

import { MAX_EMAIL_LENGTH, MAX_NAME_LENGTH } from '../profile';

/** No control characters (line breaks, NUL, escapes): they have no place in a name or an address line. */
export const PRINTABLE = /^[^\p{Cc}]*$/u;

/** A line of text a person typed: 1 to `max` characters, not blank, no control characters. */
export const IsTextLine = (max: number): PropertyDecorator =>
  applyDecorators(
    IsString(),
    Length(1, max),
    Matches(/\S/, { message: 'must not be blank' }),
    Matches(PRINTABLE, { message: 'must not contain control characters' }),
  );

/** A profile's name, as REST and gRPC both accept it. */
export const IsProfileName = (): PropertyDecorator => IsTextLine(MAX_NAME_LENGTH);

/** An e-mail address, as REST and gRPC both accept it. */
export const IsProfileEmail = (): PropertyDecorator =>
  applyDecorators(
    IsString(),
    MaxLength(MAX_EMAIL_LENGTH),
    IsEmail({}, { message: 'must be an e-mail address' }),
  );
