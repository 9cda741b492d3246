import { Role } from '@emporium/platform/auth';
import { isUniqueViolation } from '@emporium/platform/database';
import { DomainError } from '@emporium/platform/http';
import { MetricsService } from '@emporium/platform/metrics';
import { Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Counter } from 'prom-client';
import { DataSource } from 'typeorm';

import { Account, AccountsRepository, EMAIL_UNIQUE_CONSTRAINT } from '../accounts/accounts.repository';
import { PasswordHasher } from '../passwords/password-hasher';
import { AccessTokenIssuer, TokenSubject } from '../tokens/access-token.issuer';
import { RefreshTokenStore } from '../tokens/refresh-token.store';
import { LoginDto, RegisterDto } from './dto/credentials.dto';
import { RegisteredView, TokenPairView } from './dto/credentials.view';

export const CUSTOMER_ROLES: Role[] = ['customer'];
export const ADMIN_ROLES: Role[] = ['customer', 'admin'];

// One answer for an unknown e-mail and a wrong password, so the login cannot be used to probe accounts.
const INVALID_CREDENTIALS = 'Invalid e-mail or password';
const INVALID_REFRESH_TOKEN = 'The refresh token is invalid, expired or revoked';

/** Register, login, refresh, logout: the credential flows behind /api/v1/auth. */
@Injectable()
export class IdentityService {
  private readonly logger = new Logger(IdentityService.name);
  private readonly logins: Counter<'outcome'>;
  private readonly refreshes: Counter<'outcome'>;
  private readonly registrations: Counter<'outcome'>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly accounts: AccountsRepository,
    private readonly passwords: PasswordHasher,
    private readonly accessTokens: AccessTokenIssuer,
    private readonly refreshTokens: RefreshTokenStore,
    metrics: MetricsService,
  ) {
    this.logins = metrics.counter({
      name: 'auth_logins_total',
      help: 'Login attempts that reached the password check, by outcome (success, failure).',
      labelNames: ['outcome'],
    });
    this.refreshes = metrics.counter({
      name: 'auth_token_refreshes_total',
      help: 'Refresh-token presentations by outcome (rotated, invalid, reused: a replay that revoked its family).',
      labelNames: ['outcome'],
    });
    this.registrations = metrics.counter({
      name: 'auth_registrations_total',
      help: 'Registrations by outcome (created, conflict).',
      labelNames: ['outcome'],
    });
  }

  async register(input: RegisterDto): Promise<RegisteredView> {
    // Hashed before the transaction opens, so no connection is held while argon2 runs.
    const passwordHash = await this.passwords.hash(input.password);
    try {
      const userId = await this.dataSource.transaction((manager) =>
        this.accounts.create(manager, {
          email: input.email,
          passwordHash,
          roles: CUSTOMER_ROLES,
          name: input.name,
        }),
      );
      if (userId === undefined) throw new Error('Registration inserted no account');
      this.registrations.inc({ outcome: 'created' });
      return { userId };
    } catch (error) {
      if (isUniqueViolation(error, EMAIL_UNIQUE_CONSTRAINT)) {
        this.registrations.inc({ outcome: 'conflict' });
        throw new DomainError('EMAIL_TAKEN', 'conflict', 'An account with this e-mail already exists');
      }
      throw error;
    }
  }

  async login(input: LoginDto): Promise<TokenPairView> {
    const account = await this.accounts.findByEmail(input.email);
    const valid = account
      ? await this.passwords.verify(account.passwordHash, input.password)
      : await this.passwords.verifyWithoutAccount(input.password);
    if (!account || !valid) {
      this.logins.inc({ outcome: 'failure' });
      throw new UnauthorizedException(INVALID_CREDENTIALS);
    }
    const upgradedHash = this.passwords.needsRehash(account.passwordHash)
      ? await this.passwords.hash(input.password)
      : undefined;
    const refreshToken = await this.dataSource.transaction(async (manager) => {
      if (upgradedHash !== undefined)
        await this.accounts.upgradePasswordHash(manager, account.id, account.passwordHash, upgradedHash);
      return this.refreshTokens.startFamily(manager, account.id);
    });
    this.logins.inc({ outcome: 'success' });
    return this.tokenPair(subjectOf(account), refreshToken);
  }

  async refresh(refreshToken: string): Promise<TokenPairView> {
    const outcome = await this.refreshTokens.rotate(refreshToken);
    this.refreshes.inc({ outcome: outcome.kind });
    if (outcome.kind === 'reused') {
      this.logger.warn(
        { userId: outcome.userId, familyId: outcome.familyId },
        'A spent refresh token was presented again; its family is revoked',
      );
    }
    if (outcome.kind !== 'rotated') throw new UnauthorizedException(INVALID_REFRESH_TOKEN);
    return this.tokenPair(outcome.subject, outcome.refreshToken);
  }

  /** Ends the session the token belongs to. Says nothing about the token: logout is never an oracle. */
  async logout(refreshToken: string): Promise<void> {
    await this.refreshTokens.revokeFamilyOf(refreshToken);
  }

  private async tokenPair(subject: TokenSubject, refreshToken: string): Promise<TokenPairView> {
    const access = await this.accessTokens.issue(subject);
    return { accessToken: access.token, refreshToken, tokenType: 'Bearer', expiresIn: access.expiresIn };
  }
}

function subjectOf(account: Account): TokenSubject {
  return { id: account.id, email: account.email, roles: account.roles };
}
