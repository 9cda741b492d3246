import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { KubeObject, validateAgainstSchema } from './kubernetes-schemas';
import { renderKustomization } from './kustomize';
import { Environment, NAME_LABEL, serviceManifestProblems } from './service-policy';
import { declaredPort, discoverApps, workspaceRoot } from './workspace';

const apps = discoverApps();
const ENVIRONMENTS = ['dev', 'prod'] as const;

function appDir(app: string, environment: Environment): string {
  return environment === 'base' ? `k8s/apps/${app}/base` : `k8s/apps/${app}/overlays/${environment}`;
}

/** The contract's problems for `services` in the render of `dir`, each prefixed with the directory. */
async function problemsOf(dir: string, environment: Environment, services: string[]): Promise<string[]> {
  const objects = await renderKustomization(dir);
  return services.flatMap((app) => {
    const own = objects.filter((object) => object.metadata.labels?.[NAME_LABEL] === app);
    return serviceManifestProblems(app, declaredPort(app), own, environment).map((p) => `${dir}: ${p}`);
  });
}

/** The rendered base of the first app, for the checks below that prove the policy can fail. */
async function renderedBase(): Promise<{ app: string; objects: KubeObject[] }> {
  const app = apps[0];
  if (!app) throw new Error('no app under apps/ to build a broken manifest from');
  const objects = structuredClone(await renderKustomization(appDir(app, 'base')));
  return { app, objects };
}

describe('Kubernetes manifests of every service', () => {
  it('finds the services to check under apps/', () => {
    expect(apps).not.toHaveLength(0);
  });

  it('has a base and dev and prod overlays for every app under apps/', () => {
    const missing = apps.flatMap((app) =>
      (['base', ...ENVIRONMENTS] as const)
        .map((environment) => appDir(app, environment))
        .filter((dir) => !existsSync(join(workspaceRoot, dir, 'kustomization.yaml'))),
    );
    expect(missing).toEqual([]);
  });

  it('has no k8s/apps/<name> left over from an app that no longer exists', () => {
    const dirs = readdirSync(join(workspaceRoot, 'k8s/apps'));
    expect(dirs.filter((dir) => !apps.includes(dir))).toEqual([]);
  });

  it('meets the deployment contract in every app base', async () => {
    const problems = await Promise.all(apps.map((app) => problemsOf(appDir(app, 'base'), 'base', [app])));
    expect(problems.flat()).toEqual([]);
  });

  describe.each(ENVIRONMENTS)('%s', (environment) => {
    const namespace = `emporium-${environment}`;

    it(`meets the deployment contract in every app's ${environment} overlay`, async () => {
      const problems = await Promise.all(
        apps.map((app) => problemsOf(appDir(app, environment), environment, [app])),
      );
      expect(problems.flat()).toEqual([]);
    });

    it(`renders every app into k8s/overlays/${environment}, meeting the contract there too`, async () => {
      const objects = await renderKustomization(`k8s/overlays/${environment}`);
      const deployed = objects.filter((object) => object.kind === 'Deployment').map((d) => d.metadata.name);
      expect(apps.filter((app) => !deployed.includes(app))).toEqual([]);
      await expect(problemsOf(`k8s/overlays/${environment}`, environment, apps)).resolves.toEqual([]);
    });

    it(`creates namespace ${namespace} and puts every object in it`, async () => {
      const objects = await renderKustomization(`k8s/overlays/${environment}`);
      const namespaces = objects.filter((object) => object.kind === 'Namespace').map((n) => n.metadata.name);
      expect(namespaces).toEqual([namespace]);
      const misplaced = objects
        .filter((object) => object.kind !== 'Namespace' && object.metadata.namespace !== namespace)
        .map((object) => `${object.kind}/${object.metadata.name}`);
      expect(misplaced).toEqual([]);
    });
  });
});

describe('the checks themselves', () => {
  it('reject a kind they have no schema for', () => {
    const custom: KubeObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    expect(() => validateAgainstSchema(custom)).toThrow(/no offline schema/);
  });

  it('reject an object that breaks its schema', async () => {
    const { app, objects } = await renderedBase();
    const deployment = objects.find((object) => object.kind === 'Deployment') as KubeObject;
    (deployment['spec'] as { replicas: unknown }).replicas = 'two';
    expect(() => validateAgainstSchema(deployment)).toThrow(new RegExp(`Deployment ${app}: .*replicas`));
  });

  it.each([
    [
      'a writable root filesystem',
      /readOnlyRootFilesystem/,
      (d: PodTemplate) => {
        delete securityContext(d).readOnlyRootFilesystem;
      },
    ],
    [
      'a readiness probe on /health/live',
      /readinessProbe must GET \/health\/ready/,
      (d: PodTemplate) => {
        container(d).readinessProbe.httpGet.path = '/health/live';
      },
    ],
    [
      'a 256Mi memory limit',
      /resources must be exactly/,
      (d: PodTemplate) => {
        container(d).resources.limits.memory = '256Mi';
      },
    ],
    [
      'PG_URL as a literal',
      /PG_URL must come from a secretKeyRef/,
      (d: PodTemplate) => {
        const env = container(d).env.find((v) => v.name === 'PG_URL');
        if (env) Object.assign(env, { value: 'postgres://u:p@db/x', valueFrom: undefined });
      },
    ],
  ])('reject a Deployment with %s', async (_title, problem, breakIt) => {
    const { app, objects } = await renderedBase();
    breakIt(objects.find((object) => object.kind === 'Deployment') as PodTemplate);
    expect(serviceManifestProblems(app, declaredPort(app), objects, 'base')).toEqual(
      expect.arrayContaining([expect.stringMatching(problem)]),
    );
  });

  it('reject a password in a ConfigMap', async () => {
    const { app, objects } = await renderedBase();
    const configMap = objects.find((object) => object.kind === 'ConfigMap') as KubeObject;
    (configMap['data'] as Record<string, string>)['PG_PASSWORD'] = 'hunter2';
    expect(serviceManifestProblems(app, declaredPort(app), objects, 'base')).toEqual(
      expect.arrayContaining([expect.stringMatching(/PG_PASSWORD is a secret/)]),
    );
  });
});

/** Just enough of a rendered Deployment's shape for the mutations above. */
interface PodTemplate extends KubeObject {
  spec: {
    template: {
      spec: {
        containers: Array<{
          securityContext: Record<string, unknown>;
          readinessProbe: { httpGet: { path: string } };
          resources: { limits: Record<string, string> };
          env: Array<{ name: string; value?: string; valueFrom?: unknown }>;
        }>;
      };
    };
  };
}

function container(deployment: PodTemplate): PodTemplate['spec']['template']['spec']['containers'][number] {
  const first = deployment.spec.template.spec.containers[0];
  if (!first) throw new Error('the Deployment has no container');
  return first;
}

function securityContext(deployment: PodTemplate): Record<string, unknown> {
  return container(deployment).securityContext;
}
