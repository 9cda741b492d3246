import { formatFiles, GeneratorCallback, logger, names, Tree, visitNotIgnoredFiles } from '@nx/devkit';
import * as ts from 'typescript';

import { compareSources, compareSpecifiers } from '../utils/import-order';
import { appsIn, CONTRACT_PORTS, KEBAB_NAME, readRequired } from '../utils/workspace';

export interface EventGeneratorSchema {
  /** The event type, `<aggregate>.<past-tense verb>[.vN]`. */
  name: string;
  /** The service that publishes it. */
  service: string;
}

/** The naming rule of style.md and api.md, the same expression libs/contracts/src/events.spec.ts asserts. */
export const EVENT_TYPE = /^[a-z]+(-[a-z]+)*\.[a-z]+ed(\.v\d+)?$/;

const CONTRACTS_SRC = 'libs/contracts/src';
const EVENTS_FILE = `${CONTRACTS_SRC}/events.ts`;
const INDEX_FILE = `${CONTRACTS_SRC}/index.ts`;

export interface NormalizedEventOptions {
  type: string;
  service: string;
  aggregate: string;
  className: string;
  /** `orderId` for order: the aggregate id every event carries (it is also the envelope's `subject`). */
  idProperty: string;
  /** From libs/contracts/src, without the extension: `order/order.events`. */
  modulePath: string;
}

export function normalizeEventOptions(tree: Tree, options: EventGeneratorSchema): NormalizedEventOptions {
  const type = String(options.name ?? '').trim();
  if (!EVENT_TYPE.test(type))
    throw new Error(
      `Invalid event type "${type}": use <aggregate>.<past-tense verb>, optionally with .v<N> for a breaking change (e.g. order.placed, order.placed.v2); it must match ${EVENT_TYPE}.`,
    );
  const service = String(options.service ?? '').trim();
  const knownServices = new Set([...Object.keys(CONTRACT_PORTS), ...appsIn(tree)]);
  if (!KEBAB_NAME.test(service) || !knownServices.has(service))
    throw new Error(
      `Unknown owning service "${service}": one of ${[...knownServices].sort().join(', ')} (apps/ and api.md).`,
    );

  const [aggregate, verb, version] = type.split('.');
  const className = `${names(aggregate).className}${names(verb).className}${version ? version.toUpperCase() : ''}`;
  const normalized: NormalizedEventOptions = {
    type,
    service,
    aggregate,
    className,
    idProperty: `${names(aggregate).propertyName}Id`,
    modulePath: `${aggregate}/${aggregate}.events`,
  };

  visitNotIgnoredFiles(tree, CONTRACTS_SRC, (path) => {
    if (!path.endsWith('.ts')) return;
    const source = tree.read(path, 'utf-8') ?? '';
    if (new RegExp(`static readonly type = ['"]${type.replace(/\./g, '\\.')}['"]`).test(source))
      throw new Error(`${path} already declares the event type "${type}".`);
    if (new RegExp(`\\bclass ${className}\\b`).test(source))
      throw new Error(`${path} already declares a class ${className}.`);
  });
  return normalized;
}

/**
 * `nx g @emporium/generators:event <aggregate>.<verb>ed --service=<owner>`: a payload class in
 * libs/contracts/src/<aggregate>/<aggregate>.events.ts, its entry in EVENT_PAYLOADS and its export, so the
 * contracts test proves the mapping at once.
 */
export async function eventGenerator(tree: Tree, options: EventGeneratorSchema): Promise<GeneratorCallback> {
  const o = normalizeEventOptions(tree, options);
  const file = `${CONTRACTS_SRC}/${o.modulePath}.ts`;
  tree.write(file, addPayloadClass(tree.read(file, 'utf-8'), o));
  tree.write(EVENTS_FILE, registerPayload(readRequired(tree, EVENTS_FILE), o));
  tree.write(INDEX_FILE, exportModule(readRequired(tree, INDEX_FILE), `./${o.modulePath}`));
  await formatFiles(tree);

  return () => {
    logger.info(
      [
        `${o.type} -> ${o.className} in ${file}, registered in EVENT_PAYLOADS and exported.`,
        `Next: give ${o.className} its fields with class-validator rules, complete its TODO comment, list it`,
        `under "Publishes" in apps/${o.service}/README.md, and run npx nx run contracts:lint,typecheck,test.`,
      ].join('\n'),
    );
  };
}

export default eventGenerator;

function payloadClass(o: NormalizedEventOptions): string {
  return [
    `/** Published by ${o.service} on \`${o.service}.events\`. TODO(${o.service}): the fact it states, in one sentence. */`,
    `export class ${o.className} {`,
    `  static readonly type = '${o.type}';`,
    `  static readonly source = '${o.service}';`,
    '',
    '  @IsUUID()',
    `  ${o.idProperty}!: string;`,
    '}',
    '',
  ].join('\n');
}

/** The aggregate's events file with the new class appended (created when it is the aggregate's first event). */
export function addPayloadClass(existing: string | null, o: NormalizedEventOptions): string {
  if (existing === null) return `import { IsUUID } from 'class-validator';\n\n${payloadClass(o)}`;
  const withImport = ensureNamedImport(existing, 'class-validator', 'IsUUID');
  return `${withImport.trimEnd()}\n\n${payloadClass(o)}`;
}

/** events.ts with the class imported and mapped from its type in EVENT_PAYLOADS. */
export function registerPayload(source: string, o: NormalizedEventOptions): string {
  const withImport = ensureNamedImport(source, `./${o.modulePath}`, o.className);
  const file = parse(EVENTS_FILE, withImport);
  const payloads = findEventPayloads(file);
  const entry = `[${o.className}.type]: ${o.className},`;
  const last = payloads.properties.at(-1);
  if (!last) {
    return `${withImport.slice(0, payloads.getStart(file))}{\n  ${entry}\n}${withImport.slice(payloads.getEnd())}`;
  }
  const after = withImport.slice(last.getEnd());
  const hasComma = after.trimStart().startsWith(',');
  const insertAt = hasComma ? last.getEnd() + after.indexOf(',') + 1 : last.getEnd();
  return `${withImport.slice(0, insertAt)}${hasComma ? '' : ','}\n  ${entry}${withImport.slice(insertAt)}`;
}

/** index.ts with `export * from '<module>'` in the order simple-import-sort keeps. */
export function exportModule(source: string, module: string): string {
  const file = parse(INDEX_FILE, source);
  const exports = file.statements.filter(
    (statement): statement is ts.ExportDeclaration =>
      ts.isExportDeclaration(statement) &&
      statement.moduleSpecifier !== undefined &&
      ts.isStringLiteral(statement.moduleSpecifier),
  );
  if (exports.some((statement) => (statement.moduleSpecifier as ts.StringLiteral).text === module))
    return source;
  const line = `export * from '${module}';\n`;
  const before = exports.find(
    (statement) => compareSources((statement.moduleSpecifier as ts.StringLiteral).text, module) > 0,
  );
  if (before) return insertAt(source, before.getStart(file), line);
  const last = exports.at(-1);
  if (last) return insertAt(source, last.getEnd(), `\n${line.trimEnd()}`);
  return `${source.trimEnd()}\n\n${line}`;
}

/**
 * Makes `source` import `name` from `module`: adds it to an existing import of that module (specifiers kept
 * sorted), or adds an import statement where simple-import-sort wants it (packages before relative paths,
 * each group sorted by path).
 */
export function ensureNamedImport(source: string, module: string, name: string): string {
  const file = parse('file.ts', source);
  const imports = file.statements.filter(ts.isImportDeclaration);
  const sourceOf = (statement: ts.ImportDeclaration) => (statement.moduleSpecifier as ts.StringLiteral).text;
  const existing = imports.find(
    (statement) =>
      sourceOf(statement) === module &&
      !statement.importClause?.isTypeOnly &&
      statement.importClause?.namedBindings !== undefined &&
      ts.isNamedImports(statement.importClause.namedBindings),
  );
  if (existing) {
    const bindings = existing.importClause?.namedBindings as ts.NamedImports;
    const specifiers = bindings.elements.map((element) => element.getText(file));
    if (bindings.elements.some((element) => element.name.text === name)) return source;
    specifiers.push(name);
    specifiers.sort((a, b) => compareSpecifiers(a.split(' as ')[0], b.split(' as ')[0]));
    return `${source.slice(0, bindings.getStart(file))}{ ${specifiers.join(', ')} }${source.slice(bindings.getEnd())}`;
  }

  const statement = `import { ${name} } from '${module}';`;
  const isRelative = (path: string) => path.startsWith('.');
  const sameGroup = imports.filter((i) => isRelative(sourceOf(i)) === isRelative(module) && !isSideEffect(i));
  const before = sameGroup.find((i) => compareSources(sourceOf(i), module) > 0);
  if (before) return insertAt(source, before.getStart(file), `${statement}\n`);
  const lastOfGroup = sameGroup.at(-1);
  if (lastOfGroup) return insertAt(source, lastOfGroup.getEnd(), `\n${statement}`);
  // First of its group: packages go before the relative imports, relative imports after the packages.
  const firstRelative = imports.find((i) => isRelative(sourceOf(i)));
  if (!isRelative(module) && firstRelative)
    return insertAt(source, firstRelative.getStart(file), `${statement}\n\n`);
  const lastImport = imports.at(-1);
  if (lastImport) return insertAt(source, lastImport.getEnd(), `\n\n${statement}`);
  return `${statement}\n\n${source}`;
}

function isSideEffect(statement: ts.ImportDeclaration): boolean {
  return statement.importClause === undefined;
}

function insertAt(source: string, index: number, text: string): string {
  return `${source.slice(0, index)}${text}${source.slice(index)}`;
}

function parse(path: string, source: string): ts.SourceFile {
  return ts.createSourceFile(path, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

function findEventPayloads(file: ts.SourceFile): ts.ObjectLiteralExpression {
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (!ts.isIdentifier(declaration.name) || declaration.name.text !== 'EVENT_PAYLOADS') continue;
      let initializer = declaration.initializer;
      while (initializer && (ts.isAsExpression(initializer) || ts.isSatisfiesExpression(initializer)))
        initializer = initializer.expression;
      if (initializer && ts.isObjectLiteralExpression(initializer)) return initializer;
    }
  }
  throw new Error(`${EVENTS_FILE}: no "export const EVENT_PAYLOADS = { ... }" to register the event in`);
}
