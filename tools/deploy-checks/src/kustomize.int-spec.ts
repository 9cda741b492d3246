import { validateAgainstSchema } from './kubernetes-schemas';
import { renderKustomization } from './kustomize';
import { findKustomizations } from './workspace';

const kustomizations = findKustomizations();

describe('kustomizations under k8s/', () => {
  it('finds the kustomizations to render', () => {
    expect(kustomizations).toEqual(expect.arrayContaining(['k8s/overlays/dev', 'k8s/overlays/prod']));
  });

  describe.each(kustomizations)('%s', (dir) => {
    it('renders with `kubectl kustomize`', async () => {
      await expect(renderKustomization(dir)).resolves.not.toHaveLength(0);
    });

    it('renders only objects that validate against the Kubernetes schemas (kubernetes-models)', async () => {
      const objects = await renderKustomization(dir);
      const invalid: string[] = [];
      for (const object of objects) {
        try {
          validateAgainstSchema(object);
        } catch (error: unknown) {
          invalid.push(error instanceof Error ? error.message : String(error));
        }
      }
      expect(invalid).toEqual([]);
    });

    it('commits no Secret (they are created out of band, docs/deployment.md)', async () => {
      const objects = await renderKustomization(dir);
      expect(objects.filter((object) => object.kind === 'Secret').map((s) => s.metadata.name)).toEqual([]);
    });
  });
});
