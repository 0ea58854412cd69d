// The shared bjw-s app-template repository scaffold's templates (REMAINING-WORK §13): one
// OCIRepository in flux-system for every app-template HelmRelease. Text only; planning is scaffolds.ts.
import type { ScaffoldTemplate, TemplateWriter } from '../scaffolds';

export const BJW_S_REPOSITORY_PATH = 'kubernetes/flux/cluster/repositories/bjw-s.yaml.j2';
export const BJW_S_REPOSITORIES_KUSTOMIZATION = 'kubernetes/flux/cluster/repositories/kustomization.yaml.j2';

export function bjwsRepositoryTemplates(w: TemplateWriter): ScaffoldTemplate[] {
  return [
    {
      path: BJW_S_REPOSITORY_PATH,
      description: 'OCIRepository bjw-s-app-template in flux-system (app-template 3.7.3)',
      body: `---
${w.comment('HelmReleases use it with chartRef: {kind: OCIRepository, name: bjw-s-app-template, namespace: flux-system}.')}
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: bjw-s-app-template
  namespace: flux-system
spec:
  interval: 15m
  url: oci://ghcr.io/bjw-s-labs/helm-charts/app-template
  ref:
    tag: 3.7.3
  layerSelector:
    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip
    operation: copy
`,
    },
  ];
}

/** The repositories folder's kustomization, when there is none yet. */
export function bjwsRepositoriesKustomization(): ScaffoldTemplate {
  return {
    path: BJW_S_REPOSITORIES_KUSTOMIZATION,
    description: 'kustomization of the shared Flux repositories',
    body: `---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ./bjw-s.yaml
`,
  };
}
