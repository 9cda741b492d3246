import { ApiAccessToken, CurrentUser } from '@emporium/platform/auth';
import { PageQueryDto } from '@emporium/platform/http';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';

import { Address } from './address';
import { AddressesService } from './addresses.service';
import { CreateAddressDto } from './dto/address.dto';
import { AddressPage, AddressView } from './dto/address.view';

const uuid = new ParseUUIDPipe();

/** The caller's own address book. Another user's address id answers 404 ADDRESS_NOT_FOUND, as a missing one does. */
@ApiTags('addresses')
@ApiAccessToken()
@Controller('users/me/addresses')
export class AddressesController {
  constructor(private readonly addresses: AddressesService) {}

  @Get()
  @ApiOkResponse({ type: AddressPage, description: 'Oldest first' })
  @ApiNotFoundResponse({ description: 'PROFILE_NOT_FOUND' })
  list(@CurrentUser('id') userId: string, @Query() query: PageQueryDto): Promise<AddressPage> {
    return this.addresses.list(userId, query.pageSize, query.pageToken);
  }

  @Post()
  @ApiCreatedResponse({ type: AddressView })
  @ApiNotFoundResponse({ description: 'PROFILE_NOT_FOUND' })
  @ApiConflictResponse({ description: 'ADDRESS_LIMIT_REACHED: 20 addresses already' })
  async create(
    @CurrentUser('id') userId: string,
    @Body() input: CreateAddressDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AddressView> {
    const address: Address = await this.addresses.add(userId, input);
    void reply.header('Location', `/api/v1/users/me/addresses/${address.id}`);
    return address;
  }

  @Get(':id')
  @ApiOkResponse({ type: AddressView })
  @ApiNotFoundResponse({ description: 'ADDRESS_NOT_FOUND' })
  get(@CurrentUser('id') userId: string, @Param('id', uuid) id: string): Promise<AddressView> {
    return this.addresses.get(userId, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ description: 'ADDRESS_NOT_FOUND' })
  async remove(@CurrentUser('id') userId: string, @Param('id', uuid) id: string): Promise<void> {
    await this.addresses.remove(userId, id);
  }
}
