import { Public, Roles } from '@emporium/platform/auth';
import { PageQueryDto } from '@emporium/platform/http';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';

import { ListProductsQuery } from './dto/list-products.query';
import { CreateProductDto, UpdateProductDto } from './dto/product.dto';
import { CategoryPage, ProductPage, ProductView } from './dto/product.view';
import { ProductsService } from './products.service';

const uuid = new ParseUUIDPipe();

@ApiTags('products')
@Controller('products')
export class ProductsController {
  constructor(private readonly products: ProductsService) {}

  @Public()
  @Get()
  @ApiOkResponse({ type: ProductPage })
  list(@Query() query: ListProductsQuery): Promise<ProductPage> {
    return this.products.list(query);
  }

  @Public()
  @Get(':id')
  @ApiOkResponse({ type: ProductView })
  @ApiNotFoundResponse({ description: 'PRODUCT_NOT_FOUND' })
  get(@Param('id', uuid) id: string): Promise<ProductView> {
    return this.products.get(id);
  }

  @Roles('admin')
  @Post()
  @ApiBearerAuth()
  @ApiCreatedResponse({ type: ProductView })
  @ApiConflictResponse({ description: 'SKU_TAKEN' })
  @ApiUnauthorizedResponse()
  @ApiForbiddenResponse()
  async create(
    @Body() input: CreateProductDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ProductView> {
    const product = await this.products.create(input);
    void reply.header('Location', `/api/v1/products/${product.id}`);
    return product;
  }

  @Roles('admin')
  @Patch(':id')
  @ApiBearerAuth()
  @ApiOkResponse({ type: ProductView })
  @ApiNotFoundResponse({ description: 'PRODUCT_NOT_FOUND' })
  update(@Param('id', uuid) id: string, @Body() changes: UpdateProductDto): Promise<ProductView> {
    return this.products.update(id, changes);
  }

  @Roles('admin')
  @Delete(':id')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiNoContentResponse({ description: 'Deactivated (idempotent)' })
  @ApiNotFoundResponse({ description: 'PRODUCT_NOT_FOUND' })
  async deactivate(@Param('id', uuid) id: string): Promise<void> {
    await this.products.deactivate(id);
  }
}

@ApiTags('categories')
@Controller('categories')
export class CategoriesController {
  constructor(private readonly products: ProductsService) {}

  @Public()
  @Get()
  @ApiOkResponse({ type: CategoryPage })
  list(@Query() query: PageQueryDto): Promise<CategoryPage> {
    return this.products.categories(query.pageSize, query.pageToken);
  }
}
