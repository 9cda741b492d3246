import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

import { parse } from 'yaml';

import { hasUrlCredentials } from './secrets';
import { declaredPort, discoverApps, runTool, workspaceRoot } from './workspace';

/** The fields of `docker-compose config` output these checks read (it normalises the short forms). */
interface ComposeService {
  image?: string;
  build?: { context: string; args?: Record<string, string> };
  command?: string[] | string;
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] | string };
  restart?: string;
  ports?: Array<{ published: number | string; target: number | string }>;
  volumes?: Array<string | { type: string; source?: string; target: string }>;
  read_only?: boolean;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
}

interface PrometheusConfig {
  scrape_configs: Array<{
    job_name: string;
    metrics_path?: string;
    static_configs?: Array<{ targets: string[] }>;
  }>;
}

const COMPOSE_FILE = 'docker-compose.yml';
const apps = discoverApps();

let composeConfig: Promise<ComposeFile> | undefined;
/** The file as docker-compose 1.29 resolves it (anchors merged, env interpolated, short forms expanded). */
function loadCompose(): Promise<ComposeFile> {
  composeConfig ??= runTool('docker-compose', ['-f', COMPOSE_FILE, 'config']).then(
    ({ stdout }) => parse(stdout) as ComposeFile,
  );
  return composeConfig;
}

function readYaml<T>(relativePath: string): T {
  return parse(readFileSync(join(workspaceRoot, relativePath), 'utf8')) as T;
}

function commandOf(service: ComposeService): string {
  return Array.isArray(service.command) ? service.command.join(' ') : (service.command ?? '');
}

describe(COMPOSE_FILE, () => {
  it('finds the services to check under apps/', () => {
    expect(apps).not.toHaveLength(0);
  });

  it('passes `docker-compose config -q` (Debian docker-compose 1.29, Compose Specification)', async () => {
    await expect(runTool('docker-compose', ['-f', COMPOSE_FILE, 'config', '-q'])).resolves.toEqual(
      expect.objectContaining({ stderr: '' }),
    );
  });

  it('runs every app after a one-shot `<app>-migrate` of the same image', async () => {
    const { services } = await loadCompose();
    const problems: string[] = [];
    for (const app of apps) {
      const service = services[app];
      const migrate = services[`${app}-migrate`];
      if (!service || !migrate) {
        problems.push(`${app}: needs both "${app}" and "${app}-migrate" services`);
        continue;
      }
      if (service.build?.args?.['APP'] !== app) problems.push(`${app}: build arg APP must be "${app}"`);
      if (!service.image || migrate.image !== service.image)
        problems.push(`${app}: ${app}-migrate must use the same image as ${app}`);
      if (commandOf(migrate) !== 'node main.js migrate')
        problems.push(`${app}-migrate: command must be node main.js migrate, not "${commandOf(migrate)}"`);
      if (migrate.restart !== 'no') problems.push(`${app}-migrate: a one-shot must have restart: "no"`);
      if (service.depends_on?.[`${app}-migrate`]?.condition !== 'service_completed_successfully')
        problems.push(`${app}: must depend on ${app}-migrate with condition service_completed_successfully`);
      for (const infra of ['postgres', 'rabbitmq']) {
        for (const [name, dependant] of [
          [app, service],
          [`${app}-migrate`, migrate],
        ] as const) {
          if (dependant.depends_on?.[infra]?.condition !== 'service_healthy')
            problems.push(`${name}: must depend on ${infra} with condition service_healthy`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('has no compose service built from an app that no longer exists', async () => {
    const { services } = await loadCompose();
    const builtApps = Object.values(services)
      .map((service) => service.build?.args?.['APP'])
      .filter((app): app is string => app !== undefined);
    expect(builtApps.filter((app) => !apps.includes(app))).toEqual([]);
  });

  it('gives every app its port and the platform endpoints of api.md', async () => {
    const { services } = await loadCompose();
    const problems: string[] = [];
    for (const app of apps) {
      const env = services[app]?.environment ?? {};
      const port = String(declaredPort(app));
      const expected: Record<string, (value: string) => boolean> = {
        PORT: (value) => value === port,
        PG_URL: (value) => new URL(value).hostname === 'postgres',
        RMQ_URL: (value) => new URL(value).hostname === 'rabbitmq',
        CONSUL_URL: (value) => value === 'http://consul:8500',
        OTEL_EXPORTER_OTLP_ENDPOINT: (value) => value === 'http://jaeger:4318',
        OTEL_TRACES_SAMPLER: (value) => value === 'always_on',
        OTEL_SERVICE_NAME: (value) => value === app,
      };
      for (const [name, isRight] of Object.entries(expected)) {
        const value = env[name];
        if (typeof value !== 'string' || !isRight(value)) problems.push(`${app}: ${name}=${String(value)}`);
      }
      const published = (services[app]?.ports ?? []).some((p) => String(p.target) === port);
      if (!published) problems.push(`${app}: container port ${port} is not published`);
      if (!services[app]?.healthcheck) problems.push(`${app}: needs a healthcheck on /health/ready`);
      if (services[app]?.read_only !== true) problems.push(`${app}: root filesystem must be read-only`);
    }
    expect(problems).toEqual([]);
  });

  it('gives the infrastructure the apps wait on a healthcheck', async () => {
    const { services } = await loadCompose();
    const waitedOn = new Set(
      Object.values(services).flatMap((service) =>
        Object.entries(service.depends_on ?? {})
          .filter(([, dependency]) => dependency.condition === 'service_healthy')
          .map(([name]) => name),
      ),
    );
    expect([...waitedOn].filter((name) => !services[name]?.healthcheck)).toEqual([]);
    expect([...waitedOn]).toEqual(expect.arrayContaining(['postgres', 'rabbitmq']));
  });

  it('runs the supporting infrastructure with the documented ports', async () => {
    const { services } = await loadCompose();
    const published = (name: string): string[] =>
      (services[name]?.ports ?? []).map((port) => String(port.published));
    expect(services['postgres']?.image).toMatch(/^postgres:15/);
    expect(services['rabbitmq']?.image).toMatch(/^rabbitmq:3\.13-management/);
    expect(published('rabbitmq')).toEqual(expect.arrayContaining(['5672', '15672']));
    expect(published('consul')).toContain('8500');
    expect(services['jaeger']?.environment?.['COLLECTOR_OTLP_ENABLED']).toBe('true');
    expect(published('jaeger')).toEqual(expect.arrayContaining(['4318', '16686']));
    expect(published('mailpit')).toEqual(expect.arrayContaining(['1025', '8025']));
    expect(published('prometheus')).toContain('9090');
    expect(published('grafana')).toContain('3000');
  });

  it('pins every image by tag', async () => {
    const { services } = await loadCompose();
    const unpinned = Object.entries(services)
      .filter(([, service]) => !/:[^/:]+$/.test(service.image ?? '') || service.image?.endsWith(':latest'))
      .map(([name, service]) => `${name}: ${String(service.image)}`);
    expect(unpinned).toEqual([]);
  });

  it('mounts only files and folders that exist in the repository', async () => {
    const { services } = await loadCompose();
    const missing: string[] = [];
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = typeof volume === 'string' ? volume.split(':')[0] : volume.source;
        if (source && isAbsolute(source) && !existsSync(source)) missing.push(`${name}: ${source}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('keeps credentials out of service environments except the local defaults of api.md', async () => {
    const { services } = await loadCompose();
    // Local demo credentials only: postgres' password comes from ${POSTGRES_PASSWORD}, RabbitMQ's is guest.
    const allowedHosts = new Set(['postgres', 'rabbitmq']);
    const leaks = Object.entries(services).flatMap(([name, service]) =>
      Object.entries(service.environment ?? {})
        .filter(([, value]) => typeof value === 'string' && hasUrlCredentials(value))
        .filter(([, value]) => !allowedHosts.has(new URL(value as string).hostname))
        .map(([key]) => `${name}: ${key}`),
    );
    expect(leaks).toEqual([]);
  });
});

describe('tools/docker/prometheus/prometheus.yml', () => {
  it("scrapes every app's /metrics on its port", () => {
    const { scrape_configs } = readYaml<PrometheusConfig>('tools/docker/prometheus/prometheus.yml');
    const scraped = new Set(
      scrape_configs
        .filter((job) => (job.metrics_path ?? '/metrics') === '/metrics')
        .flatMap((job) => job.static_configs ?? [])
        .flatMap((config) => config.targets),
    );
    expect(apps.filter((app) => !scraped.has(`${app}:${declaredPort(app)}`))).toEqual([]);
  });
});

describe('tools/docker/grafana/provisioning', () => {
  it('provisions Prometheus and Jaeger data sources pointing at the compose services', () => {
    const { datasources } = readYaml<{ datasources: Array<{ type: string; url: string }> }>(
      'tools/docker/grafana/provisioning/datasources/datasources.yml',
    );
    expect(datasources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090' }),
        expect.objectContaining({ type: 'jaeger', url: 'http://jaeger:16686' }),
      ]),
    );
  });
});
