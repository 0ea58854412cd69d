// Lines every scaffolded Flux Kustomization shares, written once: where Flux reads the manifests
// from, and the cluster-secrets substitution (${SECRET_DOMAIN} and friends). Indented for `spec:`.

/** The repository's GitRepository, which every Flux Kustomization of cluster-template reads. */
export const GIT_SOURCE = `  sourceRef:
    kind: GitRepository
    name: flux-system
    namespace: flux-system
`;

/** Values of the cluster-secrets Secret substituted into the manifests (postBuild). */
export const CLUSTER_SECRETS_SUBSTITUTION = `  postBuild:
    substituteFrom:
      - kind: Secret
        name: cluster-secrets
`;
