import { createHash } from 'node:crypto';

import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

import { DomainError } from './domain-error';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** `?pageSize=&pageToken=` as api.md defines them; list queries extend this class. */
export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value,
  )
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  pageSize: number = DEFAULT_PAGE_SIZE;

  @ApiPropertyOptional({ description: 'Opaque token from a previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  pageToken?: string;
}

export interface Page<T> {
  items: T[];
  nextPageToken: string | null;
}

interface TokenBody<K> {
  v: 1;
  /** Fingerprint of the filters the token was issued for; reusing it with other filters is refused. */
  f: string;
  k: K;
}

function fingerprint(filters: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(filters ?? null))
    .digest('base64url')
    .slice(0, 12);
}

const invalidToken = (): DomainError =>
  new DomainError(
    'INVALID_PAGE_TOKEN',
    'bad_request',
    'The page token is malformed or belongs to another query',
  );

/**
 * Opaque keyset page tokens: the sort key of the last row returned, bound to the query's filters. A token
 * never holds an offset, so pages stay correct while rows are inserted.
 */
export const PageTokens = {
  encode<K>(key: K, filters: unknown): string {
    const body: TokenBody<K> = { v: 1, f: fingerprint(filters), k: key };
    return Buffer.from(JSON.stringify(body)).toString('base64url');
  },

  /** Returns the key, or throws a 400 problem when the token was altered or issued for other filters. */
  decode<K>(token: string, filters: unknown, isKey: (key: unknown) => key is K): K {
    let body: Partial<TokenBody<unknown>>;
    try {
      body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<TokenBody<unknown>>;
    } catch {
      throw invalidToken();
    }
    if (body?.v !== 1 || body.f !== fingerprint(filters) || !isKey(body.k)) throw invalidToken();
    return body.k;
  },
};
