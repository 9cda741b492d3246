import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { readJson, Tree } from '@nx/devkit';
import { parse } from 'yaml';

import {
  linesLost,
  readTreeFile,
  readWorkspaceFile,
  workspaceRoot,
  workspaceTree,
} from '../testing/workspace-tree';
import { COMPOSE_FILE, ESLINT_CONFIG, PROMETHEUS_FILE } from './deploy';
import { serviceGenerator, ServiceGeneratorSchema } from './generator';

interface ComposeService {
  image?: string;
  build?: { context: string; args: Record<string, string> };
  command?: string[];
  restart?: string;
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  read_only?: boolean;
  healthcheck?: unknown;
}

interface PrometheusJob {
  job_name: string;
  metrics_path?: string;
  static_configs: { targets: string[]; labels?: Record<string, string> }[];
}

const K8S_FILES = [
  'base/config.env',
  'base/deployment.yaml',
  'base/kustomization.yaml',
  'base/poddisruptionbudget.yaml',
  'base/service.yaml',
  'base/serviceaccount.yaml',
  'overlays/dev/kustomization.yaml',
  'overlays/prod/kustomization.yaml',
];

const APP_FILES = [
  'README.md',
  'project.json',
  'tsconfig.json',
  'tsconfig.app.json',
  'webpack.config.js',
  'jest.config.js',
  'src/main.ts',
  'src/instrument.ts',
  'src/app/app.module.ts',
  'src/app/service.ts',
  'src/app/service.spec.ts',
  'src/app/migrations.int-spec.ts',
  'test/app.e2e-spec.ts',
  'test/process.e2e-spec.ts',
];

const composeServices = (tree: Tree): Record<string, ComposeService> =>
  (parse(readTreeFile(tree, COMPOSE_FILE), { merge: true }) as { services: Record<string, ComposeService> })
    .services;
const prometheusJobs = (tree: Tree): PrometheusJob[] =>
  (parse(readTreeFile(tree, PROMETHEUS_FILE)) as { scrape_configs: PrometheusJob[] }).scrape_configs;
const overlayResources = (tree: Tree, environment: string): string[] =>
  (parse(readTreeFile(tree, `k8s/overlays/${environment}/kustomization.yaml`)) as { resources: string[] })
    .resources;

async function generate(tree: Tree, options: Partial<ServiceGeneratorSchema> = {}): Promise<void> {
  await serviceGenerator(tree, { name: 'sample', port: 3999, ...options });
}

describe('service generator', () => {
  describe('a new service "sample" on port 3999', () => {
    let tree: Tree;

    beforeAll(async () => {
      tree = workspaceTree();
      await generate(tree, { description: "Samples: the team's throwaway service." });
    });

    it('creates the app, its tests and README', () => {
      expect(APP_FILES.filter((file) => !tree.exists(`apps/sample/${file}`))).toEqual([]);
      // Its only migration to start with: the messaging lib's outbox and inbox, in the service's schema.
      expect(tree.children('apps/sample/src/migrations')).toEqual([
        '1764200000000-create-messaging-tables.ts',
      ]);
    });

    it('tags the project and wires build, serve, migrations and the three test tiers like product', () => {
      const project = readJson(tree, 'apps/sample/project.json');
      expect(project).toMatchObject({
        name: 'sample',
        projectType: 'application',
        sourceRoot: 'apps/sample/src',
        tags: ['scope:sample', 'type:app'],
      });
      expect(project.targets.build).toEqual({
        executor: '@nx/webpack:webpack',
        outputs: ['{options.outputPath}'],
        options: { outputPath: 'dist/apps/sample', webpackConfig: 'apps/sample/webpack.config.js' },
      });
      expect(project.targets['db:migrate'].options.command).toBe('node dist/apps/sample/main.js migrate');
      expect(project.targets['db:revert'].options.command).toBe(
        'node dist/apps/sample/main.js migrate:revert',
      );
      expect(project.targets.serve.dependsOn).toEqual(['build']);
      expect(project.targets.e2e).toEqual({ dependsOn: ['build'] });
      for (const target of ['lint', 'typecheck', 'test', 'integration'])
        expect(project.targets[target]).toEqual({});
    });

    it('declares the service with its port, the PG, auth, broker and registry config, and its own schema', () => {
      const service = readTreeFile(tree, 'apps/sample/src/app/service.ts');
      expect(service).toContain('export const SAMPLE_SERVICE: ServiceDescriptor = {');
      expect(service).toContain("name: 'sample',");
      expect(service).toContain('defaultPort: 3999,');
      expect(service).toContain('description: "Samples: the team\'s throwaway service.",');
      expect(service).toContain('env: [PgEnv, AuthEnv, RmqEnv, DiscoveryEnv],');
      expect(service).toContain("schema: 'sample',");
      expect(service).toContain('migrations: [CreateMessagingTables1764200000000],');
    });

    it('starts tracing before anything else, then boots with the database for `migrate`', () => {
      const main = readTreeFile(tree, 'apps/sample/src/main.ts');
      expect(main.split('\n')[0]).toBe("import './instrument';");
      expect(main).toContain('bootstrapService(AppModule, SAMPLE_SERVICE, { database: SAMPLE_DATABASE });');
      expect(readTreeFile(tree, 'apps/sample/src/instrument.ts')).toContain(
        "startTracing({ serviceName: 'sample', serviceVersion: '0.1.0' });",
      );
      const module = readTreeFile(tree, 'apps/sample/src/app/app.module.ts');
      for (const wiring of [
        'PlatformModule.forService(SAMPLE_SERVICE)',
        'DatabaseModule.forRoot(SAMPLE_DATABASE)',
        'AuthModule.forRoot()',
      ])
        expect(module).toContain(wiring);
    });

    it('writes an e2e spec on createTestApp covering the platform endpoints', () => {
      const spec = readTreeFile(tree, 'apps/sample/test/app.e2e-spec.ts');
      expect(spec).toContain("from '@emporium/platform/test-app'");
      expect(spec).toContain('createTestApp({');
      for (const route of ["'/health/live'", "'/health/ready'", "'/metrics'", "'/api/docs-json'"])
        expect(spec).toContain(route);
      expect(spec).toContain('application\\/problem\\+json');
      expect(spec).toContain("'X-Request-Id'");
      expect(readTreeFile(tree, 'apps/sample/test/process.e2e-spec.ts')).toContain(
        "new ServiceBundle('sample')",
      );
    });

    it('writes a README with the port, schema, description and the parts the author completes', () => {
      const readme = readTreeFile(tree, 'apps/sample/README.md');
      expect(readme).toMatch(/^# sample\n\nSamples: the team's throwaway service\. Port \*\*3999\*\*;/);
      expect(readme).toContain('PostgreSQL schema **`sample`**');
      for (const section of [
        '## API',
        '## Commands',
        '## Data and migrations',
        '## Configuration',
        '## Events',
      ])
        expect(readme).toContain(section);
      expect(readme).toContain('TODO(sample)');
      expect(readme).toContain('<timestamp>-<kebab-description>.ts');
    });

    it('adds sample and sample-migrate to docker-compose.yml on the shared anchors, losing nothing', () => {
      const services = composeServices(tree);
      expect(services['sample-migrate']).toMatchObject({
        image: 'emporium/sample:${TAG:-dev}',
        build: { context: '.', args: { APP: 'sample', PORT: '3999' } },
        command: ['node', 'main.js', 'migrate'],
        restart: 'no',
        depends_on: { postgres: { condition: 'service_healthy' } },
      });
      expect(services['sample']).toMatchObject({
        image: 'emporium/sample:${TAG:-dev}',
        build: { context: '.', args: { APP: 'sample', PORT: '3999' } },
        ports: ['3999:3999'],
        read_only: true,
        healthcheck: expect.anything(),
        depends_on: {
          postgres: { condition: 'service_healthy' },
          rabbitmq: { condition: 'service_healthy' },
          'sample-migrate': { condition: 'service_completed_successfully' },
        },
      });
      expect(services['sample'].environment).toMatchObject({
        PORT: '3999',
        OTEL_SERVICE_NAME: 'sample',
        PG_URL: expect.stringContaining('@postgres:5432/'),
        SERVICE_SAMPLE_URL: 'http://sample:3999',
      });
      expect(services['product'].environment?.['SERVICE_SAMPLE_URL']).toBe('http://sample:3999');
      expect(linesLost(readWorkspaceFile(COMPOSE_FILE), readTreeFile(tree, COMPOSE_FILE))).toEqual([]);
    });

    it('adds a Prometheus job scraping sample:3999/metrics, keeping the comments', () => {
      expect(prometheusJobs(tree).find((job) => job.job_name === 'sample')).toEqual({
        job_name: 'sample',
        metrics_path: '/metrics',
        static_configs: [{ targets: ['sample:3999'], labels: { service: 'sample' } }],
      });
      expect(linesLost(readWorkspaceFile(PROMETHEUS_FILE), readTreeFile(tree, PROMETHEUS_FILE))).toEqual([]);
    });

    it('creates the Kubernetes base and overlays, and lists them in both environments', () => {
      expect(K8S_FILES.filter((file) => !tree.exists(`k8s/apps/sample/${file}`))).toEqual([]);
      const deployment = parse(readTreeFile(tree, 'k8s/apps/sample/base/deployment.yaml')) as {
        metadata: { name: string };
        spec: { template: { spec: { containers: { image: string; ports: { containerPort: number }[] }[] } } };
      };
      expect(deployment.metadata.name).toBe('sample');
      expect(deployment.spec.template.spec.containers[0]).toMatchObject({
        image: 'emporium/sample',
        ports: [{ containerPort: 3999 }],
      });
      expect(readTreeFile(tree, 'k8s/apps/sample/base/config.env')).toContain('PORT=3999\n');
      expect(readTreeFile(tree, 'k8s/apps/sample/base/config.env')).toContain('OTEL_SERVICE_NAME=sample\n');
      expect(overlayResources(tree, 'dev')).toEqual(
        expect.arrayContaining(['namespace.yaml', '../../apps/sample/overlays/dev']),
      );
      expect(overlayResources(tree, 'prod')).toEqual(
        expect.arrayContaining(['namespace.yaml', '../../apps/sample/overlays/prod']),
      );
    });

    it('gives scope:sample a module boundary of its own scope and scope:shared', () => {
      const config = readTreeFile(tree, ESLINT_CONFIG);
      expect(config).toContain(
        "{ sourceTag: 'scope:sample', onlyDependOnLibsWithTags: ['scope:sample', 'scope:shared'] },",
      );
      expect(linesLost(readWorkspaceFile(ESLINT_CONFIG), config)).toEqual([]);
    });
  });

  it("formats what it writes with the workspace's prettier, without a formatter warning", async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const tree = workspaceTree();
    await generate(tree, { description: "It's formatted." });
    expect(warn.mock.calls.flat().join('\n')).not.toMatch(/format/i);
    // Prettier prefers the quote that needs no escape: proof that it ran over the template's output.
    expect(readTreeFile(tree, 'apps/sample/src/app/service.ts')).toContain(
      'description: "It\'s formatted.",',
    );
  });

  it('derives constants, schema and variables from a kebab-case name', async () => {
    const tree = workspaceTree();
    await generate(tree, { name: 'order-history', port: 4100 });
    expect(readTreeFile(tree, 'apps/order-history/src/app/service.ts')).toMatch(
      /export const ORDER_HISTORY_SERVICE[\s\S]*schema: 'order_history'/,
    );
    expect(composeServices(tree)['order-history'].environment?.['SERVICE_ORDER_HISTORY_URL']).toBe(
      'http://order-history:4100',
    );
    expect(readTreeFile(tree, 'k8s/apps/order-history/base/deployment.yaml')).toContain(
      'No ORDER_HISTORY_SERVICE_HOST-style variables',
    );
  });

  it("keeps an api.md service's existing boundary and shared URL instead of adding them twice", async () => {
    const tree = workspaceTree();
    await generate(tree, { name: 'inventory', port: 3004 });
    expect(readTreeFile(tree, ESLINT_CONFIG)).toBe(readWorkspaceFile(ESLINT_CONFIG));
    expect(readTreeFile(tree, COMPOSE_FILE).match(/SERVICE_INVENTORY_URL/g)).toHaveLength(1);
  });

  describe('refuses bad input and writes nothing', () => {
    const withProduct = ['apps/product/project.json', 'apps/product/src/app/service.ts'];

    it.each([
      ['Sample', /Invalid service name/],
      ['sample_service', /Invalid service name/],
      ['1sample', /Invalid service name/],
      ['-sample', /Invalid service name/],
      ['sample--x', /Invalid service name/],
      ['sample-', /Invalid service name/],
      ['', /Invalid service name/],
      ['s'.repeat(41), /Invalid service name/],
      ['product', /apps\/product already exists/],
      ['postgres', /docker-compose\.yml already has a service named "postgres"/],
    ])('the name %p', async (name, error) => {
      const tree = workspaceTree(withProduct);
      const before = tree.listChanges().length;
      await expect(generate(tree, { name })).rejects.toThrow(error);
      expect(tree.listChanges()).toHaveLength(before);
    });

    it.each([
      [80, /Invalid port/],
      [1023, /Invalid port/],
      [65536, /Invalid port/],
      [3999.5, /Invalid port/],
      [Number.NaN, /Invalid port/],
      [3003, /Port 3003 belongs to product in api\.md/],
      [3008, /Port 3008 belongs to notification in api\.md/],
      [9090, /port 9090 is already published by "prometheus"/],
      [5432, /port 5432 is already published by "postgres"/],
    ])('the port %p', async (port, error) => {
      const tree = workspaceTree(withProduct);
      await expect(generate(tree, { port })).rejects.toThrow(error);
    });

    it('a port another app declares', async () => {
      const tree = workspaceTree();
      tree.write('apps/other/project.json', '{ "name": "other" }');
      tree.write('apps/other/src/app/service.ts', 'export const S = { defaultPort: 4200 };');
      await expect(generate(tree, { port: 4200 })).rejects.toThrow(
        /Port 4200 is already used by apps\/other/,
      );
    });

    it('a port other than the one api.md gives the service', async () => {
      await expect(generate(workspaceTree(), { name: 'inventory', port: 4004 })).rejects.toThrow(
        /api\.md gives inventory port 3004, not 4004/,
      );
    });

    it('a multi-line description', async () => {
      await expect(generate(workspaceTree(), { description: 'one\ntwo' })).rejects.toThrow(
        /one line of at most 200 characters/,
      );
    });

    it('deployment files that already name the service, all listed at once', async () => {
      const tree = workspaceTree();
      tree.write('k8s/apps/sample/base/kustomization.yaml', 'resources: []\n');
      tree.write(
        'k8s/overlays/dev/kustomization.yaml',
        `${readWorkspaceFile('k8s/overlays/dev/kustomization.yaml')}  - ../../apps/sample/overlays/dev\n`,
      );
      await expect(generate(tree)).rejects.toThrow(
        /k8s\/overlays\/dev\/kustomization\.yaml already lists sample\n {2}- k8s\/apps\/sample already exists/,
      );
      expect(tree.exists('apps/sample')).toBe(false);
    });
  });

  // apps/product predates the generator; this proves the generator reproduces its scaffolding, so product
  // reads as if it had been generated and every later service starts where product started.
  describe('reproduces product', () => {
    let tree: Tree;

    // The services generated after product (auth, user...) are taken out of the deployment files on both
    // sides: the generator appends, so product's entries would otherwise come after theirs.
    const later = readdirSync(join(workspaceRoot, 'apps')).filter(
      (app) => app !== 'product' && existsSync(join(workspaceRoot, 'apps', app, 'project.json')),
    );
    const without = (services: string[]) => ({
      [COMPOSE_FILE]: (text: string) =>
        services.reduce(
          (out, svc) =>
            out.replace(
              new RegExp(
                `\\n(?:\\n)? {2}${svc}-migrate:\\n[\\s\\S]*?(?=\\n\\n {2}[a-z-]+-migrate:|\\n\\nvolumes:)`,
              ),
              '',
            ),
          text,
        ),
      [PROMETHEUS_FILE]: (text: string) =>
        services.reduce(
          (out, svc) =>
            out.replace(
              new RegExp(`\\n\\n {2}- job_name: ${svc}\\n[\\s\\S]*?(?=\\n\\n {2}- job_name:|\\n*$)`),
              '',
            ),
          text,
        ),
      'k8s/overlays/dev/kustomization.yaml': (text: string) =>
        services.reduce((out, svc) => out.replace(`  - ../../apps/${svc}/overlays/dev\n`, ''), text),
      'k8s/overlays/prod/kustomization.yaml': (text: string) =>
        services.reduce((out, svc) => out.replace(`  - ../../apps/${svc}/overlays/prod\n`, ''), text),
    });
    const withoutProduct = without(['product', ...later]);
    const withoutLater = without(later);

    beforeAll(async () => {
      tree = workspaceTree([], withoutProduct);
      expect(readTreeFile(tree, COMPOSE_FILE)).not.toContain('product-migrate');
      expect(readTreeFile(tree, PROMETHEUS_FILE)).not.toContain('job_name: product');
      await generate(tree, {
        name: 'product',
        port: 3003,
        description: 'The catalog: products with prices, categories, full-text search.',
      });
    });

    it.each([
      'project.json',
      'tsconfig.json',
      'tsconfig.app.json',
      'webpack.config.js',
      'jest.config.js',
      'src/instrument.ts',
    ])('apps/product/%s byte for byte', (file) => {
      expect(readTreeFile(tree, `apps/product/${file}`)).toBe(readWorkspaceFile(`apps/product/${file}`));
    });

    it('apps/product/src/main.ts but for the seed command', () => {
      const product = readWorkspaceFile('apps/product/src/main.ts')
        .replace("import { seedDemoCatalog } from './demo/demo-catalog';\n", '')
        .replace(
          /\{\n {2}database: PRODUCT_DATABASE,\n {2}commands: \{ seed: seedDemoCatalog \},\n\}/,
          '{ database: PRODUCT_DATABASE }',
        );
      expect(product).not.toContain('seed');
      expect(readTreeFile(tree, 'apps/product/src/main.ts')).toBe(product);
    });

    it('apps/product/src/app/app.module.ts but for ProductsModule', () => {
      const product = readWorkspaceFile('apps/product/src/app/app.module.ts')
        .replace("import { ProductsModule } from '../products/products.module';\n", '')
        .replace('    ProductsModule,\n', '');
      expect(product).not.toContain('ProductsModule');
      expect(readTreeFile(tree, 'apps/product/src/app/app.module.ts')).toBe(product);
    });

    it('the PRODUCT_SERVICE descriptor in apps/product/src/app/service.ts', () => {
      const descriptor = (text: string) => /export const PRODUCT_SERVICE[\s\S]*?\n\};\n/.exec(text)?.[0];
      const product = descriptor(readWorkspaceFile('apps/product/src/app/service.ts'));
      expect(product).toBeDefined();
      expect(descriptor(readTreeFile(tree, 'apps/product/src/app/service.ts'))).toBe(product);
    });

    it.each(K8S_FILES)('k8s/apps/product/%s byte for byte', (file) => {
      expect(readTreeFile(tree, `k8s/apps/product/${file}`)).toBe(
        readWorkspaceFile(`k8s/apps/product/${file}`),
      );
    });

    it.each([
      COMPOSE_FILE,
      PROMETHEUS_FILE,
      'k8s/overlays/dev/kustomization.yaml',
      'k8s/overlays/prod/kustomization.yaml',
      ESLINT_CONFIG,
    ])('%s byte for byte, from the file without product', (file) => {
      const expected =
        withoutLater[file as keyof typeof withoutLater]?.(readWorkspaceFile(file)) ?? readWorkspaceFile(file);
      expect(readTreeFile(tree, file)).toBe(expected);
    });
  });
});
