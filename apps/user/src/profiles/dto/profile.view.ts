import { ApiProperty } from '@nestjs/swagger';

import { Profile } from '../profile';

/** A profile as the REST API shows it. */
export class ProfileView {
  @ApiProperty({ format: 'uuid', description: 'The account id (the `sub` of its access tokens)' })
  id!: string;

  @ApiProperty({ format: 'email', description: "The account's address; changed only through auth" })
  email!: string;

  @ApiProperty({ example: 'Ada Lovelace' })
  name!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

export class ProfilePage {
  @ApiProperty({ type: [ProfileView] }) items!: ProfileView[];
  @ApiProperty({ type: String, nullable: true }) nextPageToken!: string | null;
}

export function toProfileView(profile: Profile): ProfileView {
  return {
    id: profile.id,
    email: profile.email,
    name: profile.name,
    createdAt: profile.createdAt.toISOString(),
    updatedAt: profile.updatedAt.toISOString(),
  };
}
