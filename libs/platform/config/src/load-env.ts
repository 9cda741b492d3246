import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

export type EnvClass<T extends object = object> = new () => T;
export type EnvSource = Record<string, string | undefined>;

/** Thrown at start-up when the environment does not satisfy a config class; names every bad variable. */
export class EnvValidationError extends Error {
  constructor(readonly problems: readonly { variable: string; reason: string }[]) {
    super(
      `Invalid environment configuration:\n${problems.map((p) => `  - ${p.variable}: ${p.reason}`).join('\n')}`,
    );
    this.name = EnvValidationError.name;
  }
}

/**
 * Builds a validated instance of `schema` from environment variables. Property names are the variable
 * names; class field initialisers are the defaults; `overrides` supplies per-app defaults (e.g. PORT)
 * that apply only when the variable is unset. Empty strings count as unset.
 */
export function loadEnv<T extends object>(
  schema: EnvClass<T>,
  source: EnvSource = process.env,
  defaults: EnvSource = {},
): T {
  const template = new schema() as Record<string, unknown>;
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(template)) {
    const value = source[key];
    raw[key] = value === undefined || value === '' ? (defaults[key] ?? template[key]) : value;
  }
  const instance = plainToInstance(schema, raw, { enableImplicitConversion: false });
  const errors = validateSync(instance, { whitelist: false, forbidUnknownValues: true });
  if (errors.length > 0) throw new EnvValidationError(errors.map(describe));
  return Object.freeze(instance);
}

/** Validates several config classes at once so a misconfigured process reports every problem together. */
export function loadEnvs(
  schemas: readonly EnvClass[],
  source: EnvSource = process.env,
  defaults: EnvSource = {},
): Map<EnvClass, object> {
  const loaded = new Map<EnvClass, object>();
  const problems: { variable: string; reason: string }[] = [];
  for (const schema of schemas) {
    try {
      loaded.set(schema, loadEnv(schema, source, defaults));
    } catch (error) {
      if (!(error instanceof EnvValidationError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new EnvValidationError(problems);
  return loaded;
}

function describe(error: ValidationError): { variable: string; reason: string } {
  // class-validator starts its messages with the property name, which the line already names.
  const messages = Object.values(error.constraints ?? {}).map((message) =>
    message.startsWith(`${error.property} `) ? message.slice(error.property.length + 1) : message,
  );
  const reason = messages.join('; ') || 'is invalid';
  // The value itself is left out on purpose: it may be a secret.
  return { variable: error.property, reason };
}
