import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** An address as the REST API shows it (`line2` only when it was given). */
export class AddressView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() line1!: string;
  @ApiPropertyOptional() line2?: string;
  @ApiProperty() city!: string;
  @ApiProperty() postalCode!: string;
  @ApiProperty({ example: 'GB', description: 'ISO 3166-1 alpha-2' }) country!: string;
}

export class AddressPage {
  @ApiProperty({ type: [AddressView] }) items!: AddressView[];
  @ApiProperty({ type: String, nullable: true }) nextPageToken!: string | null;
}
