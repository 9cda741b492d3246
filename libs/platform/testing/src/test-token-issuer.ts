import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

import {
  base64url,
  calculateJwkThumbprint,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  JWK,
  JWTHeaderParameters,
  JWTPayload,
  KeyLike,
  SignJWT,
} from 'jose';

export const TEST_JWKS_PATH = '/.well-known/jwks.json';

export interface TestTokenIssuerOptions {
  /** Expected `iss`; defaults to the local-run default `emporium-auth`. */
  issuer?: string;
  /** Expected `aud`; defaults to the local-run default `emporium`. */
  audience?: string;
}

/** What `mint()` accepts: the usual claims by name, plus any claim to add, replace or (with `undefined`) drop. */
export interface MintOptions {
  sub?: string;
  email?: string;
  roles?: string[];
  /** Seconds from now until `exp`; negative makes an expired token. Default 900. */
  expiresIn?: number;
  [claim: string]: unknown;
}

export interface MintWithOptions {
  /** Merged over the normal header (`alg` RS256, `typ` at+jwt, `kid`); `undefined` drops a parameter. */
  header?: Partial<JWTHeaderParameters> & Record<string, unknown>;
  /** Merged over the normal claims of `mint()`; `undefined` drops a claim. */
  claims?: MintOptions;
  /**
   * `current` signs with the key the JWKS publishes; `other` with a key it never publishes (its `kid` is
   * unknown to verifiers unless `header.kid` names a published one, which makes a bad-signature token).
   */
  key?: 'current' | 'other';
}

interface SigningKey {
  kid: string;
  privateKey: KeyLike;
  publicKey: KeyLike;
  publicJwk: JWK;
}

export interface TestTokenEnv {
  AUTH_JWKS_URL: string;
  AUTH_ISSUER: string;
  AUTH_AUDIENCE: string;
}

const DEFAULT_LIFETIME_S = 900;

/**
 * Stands in for the auth service in tests: holds RS256 signing keys, publishes them as a JWKS on a real
 * loopback HTTP server, mints access tokens shaped like auth's (RFC 9068 `at+jwt`), and forges the bad
 * tokens a verifier must refuse. Stop it in afterAll.
 */
export class TestTokenIssuer {
  readonly issuer: string;
  readonly audience: string;
  private readonly keys: SigningKey[] = [];
  private foreignKey?: SigningKey;
  private readonly server: Server;
  private requests = 0;
  private listening = false;
  // Kept after stop(), so the URL still names the now-closed port (ECONNREFUSED, as when auth is down).
  private port = 0;

  private constructor(options: TestTokenIssuerOptions) {
    this.issuer = options.issuer ?? 'emporium-auth';
    this.audience = options.audience ?? 'emporium';
    this.server = createServer((request, response) => this.serve(request, response));
  }

  static async start(options: TestTokenIssuerOptions = {}): Promise<TestTokenIssuer> {
    const sut = new TestTokenIssuer(options);
    sut.keys.push(await createSigningKey());
    await new Promise<void>((resolve, reject) => {
      sut.server.once('error', reject);
      sut.server.listen(0, '127.0.0.1', () => resolve());
    });
    sut.listening = true;
    sut.port = (sut.server.address() as AddressInfo).port;
    return sut;
  }

  get jwksUrl(): string {
    return `http://127.0.0.1:${this.port}${TEST_JWKS_PATH}`;
  }

  /** The kid of the key `mint()` signs with (the newest). */
  get kid(): string {
    return this.current.kid;
  }

  /** How many times the JWKS has been fetched: lets a test show how often a verifier goes back for keys. */
  get jwksRequestCount(): number {
    return this.requests;
  }

  /** The public JWKS as served. */
  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((key) => key.publicJwk) };
  }

  env(): TestTokenEnv {
    return { AUTH_JWKS_URL: this.jwksUrl, AUTH_ISSUER: this.issuer, AUTH_AUDIENCE: this.audience };
  }

  /** A valid access token; any claim can be overridden. */
  async mint(options: MintOptions = {}): Promise<string> {
    return this.mintWith({ claims: options });
  }

  /** A token built from the normal header and claims with the given parts replaced. */
  async mintWith(options: MintWithOptions = {}): Promise<string> {
    const key = options.key === 'other' ? await this.otherKey() : this.current;
    const header = withoutUndefined({ alg: 'RS256', typ: 'at+jwt', kid: key.kid, ...options.header });
    return new SignJWT(this.claims(options.claims))
      .setProtectedHeader(header as JWTHeaderParameters)
      .sign(key.privateKey);
  }

  async mintExpired(options: MintOptions = {}): Promise<string> {
    const now = nowSeconds();
    return this.mint({ iat: now - 600, expiresIn: -300, ...options });
  }

  async mintNotYetValid(options: MintOptions = {}): Promise<string> {
    return this.mint({ nbf: nowSeconds() + 600, ...options });
  }

  async mintWrongIssuer(): Promise<string> {
    return this.mint({ iss: `${this.issuer}-impostor` });
  }

  async mintWrongAudience(): Promise<string> {
    return this.mint({ aud: `${this.audience}-elsewhere` });
  }

  /** Signed and otherwise valid, but typed as a generic JWT (e.g. an ID token), not an access token. */
  async mintWrongType(typ = 'JWT'): Promise<string> {
    return this.mintWith({ header: { typ } });
  }

  /** `alg: none` with an empty signature (RFC 7519 "unsecured JWT"), carrying a real kid and typ. */
  mintUnsigned(options: MintOptions = {}): string {
    const header = { alg: 'none', typ: 'at+jwt', kid: this.current.kid };
    return `${encodeJson(header)}.${encodeJson(this.claims(options))}.`;
  }

  /**
   * The key-confusion attack (RFC 8725 section 2.1): HS256 with the verifier's own public key as the HMAC
   * secret, so a verifier that lets the token pick the algorithm would check it with that public key.
   */
  async mintHs256WithPublicKey(
    options: { secret?: 'pem' | 'jwk'; claims?: MintOptions } = {},
  ): Promise<string> {
    const secret =
      options.secret === 'jwk'
        ? JSON.stringify(this.current.publicJwk)
        : await exportSPKI(this.current.publicKey);
    return new SignJWT(this.claims(options.claims))
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: this.current.kid })
      .sign(new TextEncoder().encode(secret));
  }

  /** A valid token whose payload was then edited (here: promoted to admin), keeping the original signature. */
  async mintTampered(edit: MintOptions = { roles: ['admin'] }): Promise<string> {
    const [header, payload, signature] = (await this.mint()).split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as JWTPayload;
    return `${header}.${encodeJson(withoutUndefined({ ...claims, ...edit }))}.${signature}`;
  }

  /**
   * Adds a new signing key to the JWKS and signs with it from now on. The old keys stay published unless
   * `retirePrevious` is set, as auth does while tokens signed with them may still be live.
   */
  async rotate(options: { retirePrevious?: boolean } = {}): Promise<string> {
    const key = await createSigningKey();
    if (options.retirePrevious) this.keys.length = 0;
    this.keys.push(key);
    return key.kid;
  }

  /** Closes the JWKS server (later fetches get ECONNREFUSED). Minting keeps working. Safe to call twice. */
  async stop(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    await new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      // Verifiers keep their JWKS connection alive; without this, close() waits for them to time out.
      this.server.closeAllConnections();
    });
  }

  private get current(): SigningKey {
    return this.keys[this.keys.length - 1];
  }

  private async otherKey(): Promise<SigningKey> {
    this.foreignKey ??= await createSigningKey();
    return this.foreignKey;
  }

  private claims(options: MintOptions = {}): JWTPayload {
    const { expiresIn = DEFAULT_LIFETIME_S, ...overrides } = options;
    const iat = nowSeconds();
    return withoutUndefined({
      iss: this.issuer,
      aud: this.audience,
      sub: randomUUID(),
      email: 'customer@example.test',
      roles: ['customer'],
      iat,
      exp: iat + expiresIn,
      jti: randomUUID(),
      ...overrides,
    });
  }

  private serve(request: IncomingMessage, response: ServerResponse): void {
    if (request.method !== 'GET' || request.url !== TEST_JWKS_PATH) {
      response.writeHead(404).end();
      return;
    }
    this.requests += 1;
    response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(this.jwks()));
  }
}

async function createSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', {
    modulusLength: 2048,
    extractable: true,
  });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, privateKey, publicKey, publicJwk: { ...jwk, kid, alg: 'RS256', use: 'sig' } };
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function encodeJson(value: object): string {
  return base64url.encode(JSON.stringify(value));
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;
}
