import { byBodyField, byClientIp, parseRate, RateLimitModuleOptions } from '@emporium/platform/rate-limit';

import { AuthRateLimitEnv } from '../config/auth-service.env';

/** The policies of auth's routes; their rates come from AuthRateLimitEnv. */
export const RATE_LIMITS = {
  loginIp: 'login-ip',
  loginAccount: 'login-account',
  registerIp: 'register-ip',
  refreshIp: 'refresh-ip',
} as const;

/**
 * Per client address (Fastify's `request.ip`: with `trustProxy: 1`, the address the one trusted proxy in
 * front saw) and, for login, per account (the normalised e-mail of the body), so neither many accounts from
 * one address nor one account from many addresses can be brute-forced. Logout shares the refresh budget.
 */
export function rateLimitOptions(env: AuthRateLimitEnv): RateLimitModuleOptions {
  return {
    policies: [
      { name: RATE_LIMITS.loginIp, ...parseRate(env.AUTH_RATE_LIMIT_LOGIN_IP), tracker: byClientIp() },
      {
        name: RATE_LIMITS.loginAccount,
        ...parseRate(env.AUTH_RATE_LIMIT_LOGIN_ACCOUNT),
        tracker: byBodyField('email'),
      },
      { name: RATE_LIMITS.registerIp, ...parseRate(env.AUTH_RATE_LIMIT_REGISTER_IP), tracker: byClientIp() },
      { name: RATE_LIMITS.refreshIp, ...parseRate(env.AUTH_RATE_LIMIT_REFRESH_IP), tracker: byClientIp() },
    ],
  };
}
