import { DaemonSet, Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { CronJob, Job } from 'kubernetes-models/batch/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';

/** The part of every Kubernetes object these checks look at before knowing its kind. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

interface Validatable {
  validate(): void;
}

/**
 * The schema (a kubernetes-models class) for each apiVersion/kind the manifests may contain. A kind missing
 * here fails the check rather than passing unvalidated: add its class when the manifests start using it.
 */
const MODELS: Record<string, new (data: never) => Validatable> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/DaemonSet': DaemonSet,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'batch/v1/CronJob': CronJob,
  'batch/v1/Job': Job,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
};

export function describeObject(object: KubeObject): string {
  return `${object.apiVersion}/${object.kind} ${object.metadata.name}`;
}

/** Throws, naming the object and every schema violation, when `object` is not a valid Kubernetes object. */
export function validateAgainstSchema(object: KubeObject): void {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) {
    throw new Error(
      `${describeObject(object)}: no offline schema for this apiVersion/kind; ` +
        'add its kubernetes-models class to MODELS in tools/deploy-checks/src/kubernetes-schemas.ts',
    );
  }
  try {
    new Model(object as never).validate();
  } catch (error: unknown) {
    throw new Error(`${describeObject(object)}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Parses a multi-document YAML stream (as `kubectl kustomize` prints it) into objects. */
export function parseManifests(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(document.errors.map(String).join('\n'));
      return document.toJS() as unknown;
    })
    .filter((value): value is KubeObject => value !== null && typeof value === 'object')
    .map((value) => {
      if (typeof value.apiVersion !== 'string' || typeof value.kind !== 'string' || !value.metadata?.name) {
        throw new Error(`not a Kubernetes object: ${JSON.stringify(value).slice(0, 200)}`);
      }
      return value;
    });
}
