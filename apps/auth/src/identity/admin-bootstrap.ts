import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { AccountsRepository } from '../accounts/accounts.repository';
import { AdminBootstrapEnv } from '../config/auth-service.env';
import { PasswordHasher } from '../passwords/password-hasher';
import { normaliseEmail } from './dto/credentials.dto';
import { ADMIN_ROLES } from './identity.service';

/**
 * Creates the admin account at start-up from AUTH_ADMIN_EMAIL / AUTH_ADMIN_PASSWORD when both are set and no
 * account has that e-mail. Replicas starting together are safe: the insert is `ON CONFLICT DO NOTHING`, so
 * one creates it and the others find it. An existing account is never changed (in particular never made an
 * admin: whoever registered the address first would get the role). The password is never logged.
 */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminBootstrap.name);

  constructor(
    private readonly env: AdminBootstrapEnv,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly accounts: AccountsRepository,
    private readonly passwords: PasswordHasher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ensureAdmin();
  }

  /** Answers the new admin's id, or undefined when nothing was created. */
  async ensureAdmin(): Promise<string | undefined> {
    const { AUTH_ADMIN_EMAIL, AUTH_ADMIN_PASSWORD, AUTH_ADMIN_NAME } = this.env;
    if (AUTH_ADMIN_EMAIL === '' || AUTH_ADMIN_PASSWORD === '') {
      if (AUTH_ADMIN_EMAIL !== '' || AUTH_ADMIN_PASSWORD !== '')
        this.logger.warn(
          'AUTH_ADMIN_EMAIL and AUTH_ADMIN_PASSWORD must both be set to create the admin account',
        );
      return undefined;
    }
    const email = normaliseEmail(AUTH_ADMIN_EMAIL) as string;
    const existing = await this.accounts.findByEmail(email);
    if (existing) {
      if (!existing.roles.includes('admin'))
        this.logger.warn(
          { userId: existing.id },
          'The AUTH_ADMIN_EMAIL account exists without the admin role; left as is',
        );
      return undefined;
    }
    const passwordHash = await this.passwords.hash(AUTH_ADMIN_PASSWORD);
    const userId = await this.dataSource.transaction((manager) =>
      this.accounts.create(manager, { email, passwordHash, roles: ADMIN_ROLES, name: AUTH_ADMIN_NAME }, true),
    );
    if (userId !== undefined) this.logger.log({ userId }, 'Created the admin account');
    return userId;
  }
}
