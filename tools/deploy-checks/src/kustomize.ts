import { KubeObject, parseManifests } from './kubernetes-schemas';
import { runTool } from './workspace';

const renders = new Map<string, Promise<KubeObject[]>>();

/** `kubectl kustomize <dir>` (dir relative to the workspace root), parsed; rendered once per test file. */
export function renderKustomization(dir: string): Promise<KubeObject[]> {
  let render = renders.get(dir);
  if (!render) {
    render = runTool('kubectl', ['kustomize', dir]).then(({ stdout }) => parseManifests(stdout));
    renders.set(dir, render);
  }
  return render;
}
