/** Variable names whose values are credentials wherever they appear. */
const SECRET_NAME = /PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|CREDENTIAL/i;

/** Connection URLs that carry credentials in every real environment, even when a local default does not. */
export const CREDENTIAL_URLS = ['PG_URL', 'RMQ_URL', 'SMTP_URL'] as const;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) || (CREDENTIAL_URLS as readonly string[]).includes(name);
}

/** True for `scheme://user[:password]@host...`: a URL with credentials in it. */
export function hasUrlCredentials(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]*@/i.test(value.trim());
}
