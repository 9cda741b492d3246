import { ApiAccessToken, CurrentUser, Roles } from '@emporium/platform/auth';
import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Query } from '@nestjs/common';
import { ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';

import { ListUsersQuery, UpdateProfileDto } from './dto/profile.dto';
import { ProfilePage, ProfileView, toProfileView } from './dto/profile.view';
import { ProfilesService } from './profiles.service';

const uuid = new ParseUUIDPipe();

/**
 * `/users/me` is the caller's own profile, whoever they are; the rest is for admins. A profile appears once
 * auth's `user.registered` event has been consumed: until then `/users/me` is 404 PROFILE_NOT_FOUND.
 */
@ApiTags('users')
@ApiAccessToken()
@Controller('users')
export class ProfilesController {
  constructor(private readonly profiles: ProfilesService) {}

  @Get('me')
  @ApiOkResponse({ type: ProfileView })
  @ApiNotFoundResponse({ description: 'PROFILE_NOT_FOUND: not created yet (or deleted)' })
  async me(@CurrentUser('id') userId: string): Promise<ProfileView> {
    return toProfileView(await this.profiles.get(userId));
  }

  @Patch('me')
  @ApiOkResponse({ type: ProfileView })
  @ApiNotFoundResponse({ description: 'PROFILE_NOT_FOUND' })
  async updateMe(@CurrentUser('id') userId: string, @Body() changes: UpdateProfileDto): Promise<ProfileView> {
    const profile =
      changes.name === undefined
        ? await this.profiles.get(userId)
        : await this.profiles.rename(userId, changes.name);
    return toProfileView(profile);
  }

  @Roles('admin')
  @Get()
  @ApiOkResponse({ type: ProfilePage })
  @ApiForbiddenResponse({ description: 'Not an admin' })
  async list(@Query() query: ListUsersQuery): Promise<ProfilePage> {
    const page = await this.profiles.list(query);
    return { items: page.items.map(toProfileView), nextPageToken: page.nextPageToken };
  }

  @Roles('admin')
  @Get(':id')
  @ApiOkResponse({ type: ProfileView })
  @ApiForbiddenResponse({ description: 'Not an admin' })
  @ApiNotFoundResponse({ description: 'PROFILE_NOT_FOUND' })
  async get(@Param('id', uuid) id: string): Promise<ProfileView> {
    return toProfileView(await this.profiles.get(id));
  }
}
