import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { IConfigMap, IContainer, IProbe, IService, IServiceAccount } from 'kubernetes-models/v1';

import { describeObject, KubeObject } from './kubernetes-schemas';
import { hasUrlCredentials, isSecretName } from './secrets';

/** Where a render comes from: an app's base, or one of its environment overlays. */
export type Environment = 'base' | 'dev' | 'prod';

export const NAME_LABEL = 'app.kubernetes.io/name';
export const APP_UID = 10001;
/** The seeds' per-pod budget: every container (init containers too) gets exactly this. */
export const RESOURCES = {
  requests: { memory: '64Mi', cpu: '100m' },
  limits: { memory: '128Mi', cpu: '500m' },
};
/** api.md: a service exits within 10 s of SIGTERM, drain window included. */
const SHUTDOWN_BUDGET_MS = 10_000;

const REPLICAS: Record<Environment, (replicas: number) => boolean> = {
  base: (replicas) => replicas === 2,
  dev: (replicas) => replicas === 1,
  prod: (replicas) => replicas > 2,
};

/** Settings each environment must carry in the app's ConfigMap. */
const ENVIRONMENT_CONFIG: Record<Environment, Record<string, string>> = {
  base: {},
  dev: { LOG_LEVEL: 'debug' },
  prod: {
    LOG_LEVEL: 'info',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.1',
  },
};

function find<T>(objects: KubeObject[], kind: string, name: string): T | undefined {
  return objects.find((object) => object.kind === kind && object.metadata.name === name) as T | undefined;
}

function isSubset(subset: Record<string, string> = {}, of: Record<string, string> = {}): boolean {
  return Object.keys(subset).length > 0 && Object.entries(subset).every(([key, value]) => of[key] === value);
}

function probeProblems(
  container: IContainer,
  kind: 'startupProbe' | 'readinessProbe' | 'livenessProbe',
  path: string,
): string[] {
  const probe: IProbe | undefined = container[kind];
  const port = probe?.httpGet?.port;
  const http = container.ports?.find((p) => p.name === 'http');
  if (probe?.httpGet?.path !== path) return [`${kind} must GET ${path}, not ${String(probe?.httpGet?.path)}`];
  if (port !== 'http' && port !== http?.containerPort) return [`${kind} must target the http port`];
  return [];
}

type PodSpec = NonNullable<IDeployment['spec']>['template']['spec'];

function containerProblems(container: IContainer, pod: PodSpec): string[] {
  const problems: string[] = [];
  const context = container.securityContext ?? {};
  const podContext = pod?.securityContext ?? {};
  const { requests, limits } = container.resources ?? {};
  const resources = {
    requests: { memory: requests?.['memory'], cpu: requests?.['cpu'] },
    limits: { memory: limits?.['memory'], cpu: limits?.['cpu'] },
  };
  if (JSON.stringify(resources) !== JSON.stringify(RESOURCES))
    problems.push(`resources must be exactly ${JSON.stringify(RESOURCES)}, not ${JSON.stringify(resources)}`);
  if (context.readOnlyRootFilesystem !== true) problems.push('readOnlyRootFilesystem must be true');
  if (context.allowPrivilegeEscalation !== false) problems.push('allowPrivilegeEscalation must be false');
  if (!context.capabilities?.drop?.includes('ALL')) problems.push('capabilities must drop ALL');
  if (context.capabilities?.add?.length) problems.push('must not add capabilities');
  if ((context.runAsNonRoot ?? podContext.runAsNonRoot) !== true) problems.push('runAsNonRoot must be true');
  if ((context.runAsUser ?? podContext.runAsUser) !== APP_UID) problems.push(`runAsUser must be ${APP_UID}`);
  const seccomp = context.seccompProfile?.type ?? podContext.seccompProfile?.type;
  if (seccomp !== 'RuntimeDefault') problems.push('seccompProfile must be RuntimeDefault');
  const tmpVolume = container.volumeMounts?.find((mount) => mount.mountPath === '/tmp')?.name;
  if (!pod?.volumes?.some((volume) => volume.name === tmpVolume && volume.emptyDir))
    problems.push('must mount an emptyDir at /tmp (the root filesystem is read-only)');
  for (const variable of container.env ?? []) {
    const fromSecret = variable.valueFrom?.secretKeyRef !== undefined;
    if (isSecretName(variable.name) && !fromSecret)
      problems.push(`env ${variable.name} must come from a secretKeyRef`);
    if (variable.value !== undefined && hasUrlCredentials(variable.value))
      problems.push(`env ${variable.name} holds a URL with credentials`);
  }
  return problems;
}

/**
 * Everything the manifests of one service must satisfy (the deployment contract of docs/deployment.md), as a
 * list of problems; empty means the service's objects in `objects` pass.
 */
export function serviceManifestProblems(
  app: string,
  port: number,
  objects: KubeObject[],
  environment: Environment,
): string[] {
  const problems: string[] = [];
  const add = (subject: string, list: string[]): void => {
    problems.push(...list.map((problem) => `${subject}: ${problem}`));
  };

  const deployment = find<IDeployment>(objects, 'Deployment', app);
  if (!deployment?.spec) return [`${app}: no Deployment named ${app}`];
  const spec = deployment.spec;
  const pod = spec.template.spec;
  const podLabels = spec.template.metadata?.labels ?? {};
  const where = `Deployment ${app}`;

  if (!REPLICAS[environment](spec.replicas ?? 1))
    add(where, [`${String(spec.replicas)} replicas is wrong for ${environment}`]);
  if (spec.selector.matchLabels?.[NAME_LABEL] !== app)
    add(where, [`selector must match ${NAME_LABEL}=${app}`]);
  if (!isSubset(spec.selector.matchLabels, podLabels)) add(where, ['selector does not match the pod labels']);
  if (deployment.metadata?.labels?.['app.kubernetes.io/part-of'] !== 'emporium')
    add(where, ['needs label app.kubernetes.io/part-of=emporium']);
  if (!pod) return [...problems, `${where}: no pod spec`];

  if (pod.serviceAccountName !== app) add(where, [`must run as ServiceAccount ${app}`]);
  if (pod.automountServiceAccountToken !== false) add(where, ['automountServiceAccountToken must be false']);
  const grace = pod.terminationGracePeriodSeconds ?? 30;
  if (grace * 1000 <= SHUTDOWN_BUDGET_MS || grace > 30)
    add(where, [`terminationGracePeriodSeconds ${grace} must be above 10 and at most 30`]);

  const main = pod.containers.find((container) => container.name === app);
  if (!main) return [...problems, `${where}: no container named ${app}`];
  const http = main.ports?.find((p) => p.name === 'http');
  if (http?.containerPort !== port) add(where, [`container port "http" must be ${port}`]);
  add(`${where} container ${app}`, [
    ...probeProblems(main, 'startupProbe', '/health/live'),
    ...probeProblems(main, 'readinessProbe', '/health/ready'),
    ...probeProblems(main, 'livenessProbe', '/health/live'),
  ]);

  const migrate = pod.initContainers?.find(
    (container) => container.command?.join(' ') === 'node main.js migrate',
  );
  if (!migrate) add(where, ['needs an init container running node main.js migrate']);
  else {
    if (migrate.image !== main.image) add(where, ['the migrate init container must use the app image']);
    if (JSON.stringify([migrate.env, migrate.envFrom]) !== JSON.stringify([main.env, main.envFrom]))
      add(where, ['the migrate init container must get the same env as the app']);
  }
  for (const container of [...(pod.initContainers ?? []), ...pod.containers])
    add(`${where} container ${container.name}`, containerProblems(container, pod));

  for (const name of ['PG_URL', 'RMQ_URL']) {
    const variable = main.env?.find((candidate) => candidate.name === name);
    if (variable?.valueFrom?.secretKeyRef?.name !== `${app}-secrets`)
      add(where, [`${name} must come from the Secret ${app}-secrets`]);
  }

  const image = main.image ?? '';
  if (environment !== 'base' && !/(:[\w][\w.-]*|@sha256:[a-f0-9]{64})$/.test(image.split('/').pop() ?? ''))
    add(where, [`image ${image} must be pinned by tag or digest`]);
  if (environment === 'prod' && /:(latest|dev)$/.test(image)) add(where, [`image ${image} is not a release`]);

  // Configuration: the ConfigMaps the pod reads, merged.
  const config: Record<string, string> = {};
  for (const source of main.envFrom ?? []) {
    const name = source.configMapRef?.name;
    if (!name) continue;
    const configMap = find<IConfigMap>(objects, 'ConfigMap', name);
    if (!configMap) add(where, [`ConfigMap ${name} is not part of the render`]);
    for (const [key, value] of Object.entries(configMap?.data ?? {})) {
      config[key] = value;
      if (isSecretName(key)) add(`ConfigMap ${name}`, [`${key} is a secret; use the Secret ${app}-secrets`]);
      if (hasUrlCredentials(value)) add(`ConfigMap ${name}`, [`${key} holds a URL with credentials`]);
    }
  }
  if (config['PORT'] !== String(port)) add(where, [`PORT must be ${port} in the ConfigMap`]);
  if (config['OTEL_SERVICE_NAME'] !== app) add(where, [`OTEL_SERVICE_NAME must be ${app}`]);
  const drain = Number(config['SHUTDOWN_DRAIN_MS']);
  if (!(drain > 0 && drain < SHUTDOWN_BUDGET_MS))
    add(where, [`SHUTDOWN_DRAIN_MS must be set below ${SHUTDOWN_BUDGET_MS} (readiness drains before exit)`]);
  for (const [key, value] of Object.entries(ENVIRONMENT_CONFIG[environment]))
    if (config[key] !== value)
      add(where, [`${key} must be ${value} in ${environment}, not ${String(config[key])}`]);

  const account = find<IServiceAccount>(objects, 'ServiceAccount', app);
  if (account?.automountServiceAccountToken !== false)
    add(`ServiceAccount ${app}`, ['must exist with automountServiceAccountToken: false']);

  const service = find<IService>(objects, 'Service', app);
  const servicePort = service?.spec?.ports?.find((p) => p.name === 'http');
  if (service?.spec?.type !== 'ClusterIP' || servicePort?.port !== 80 || servicePort.targetPort !== 'http')
    add(`Service ${app}`, ['must be a ClusterIP Service with port 80 -> http']);
  if (!isSubset(service?.spec?.selector, podLabels)) add(`Service ${app}`, ['selector must match the pods']);

  const budget = find<IPodDisruptionBudget>(objects, 'PodDisruptionBudget', app);
  if (!isSubset(budget?.spec?.selector?.matchLabels, podLabels))
    add(`PodDisruptionBudget ${app}`, ['must exist and select the pods']);
  if (budget?.spec?.minAvailable !== undefined)
    add(`PodDisruptionBudget ${app}`, ['use maxUnavailable: minAvailable blocks drains of a 1-replica dev']);

  for (const secret of objects.filter((object) => object.kind === 'Secret'))
    add(describeObject(secret), ['Secrets are created out of band and never committed (docs/deployment.md)']);

  return problems;
}
