// The verify-step output parsers against captured tool output (test/fixtures/tasks/outputs, whose
// README says where each file comes from): one table row per fixture, plus the promises every
// parser keeps (never throws, one-line reasons, no tool output or secrets echoed back).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { CheckOutput, CheckStatus, CheckVerdict } from '../../../server/src/engines/tasks/catalogTypes';
import { OUTPUT_PARSERS, parseCheckOutput } from '../../../server/src/engines/tasks/outputParsers';

const ROOT = join(__dirname, '../../../..');
const OUTPUTS = join(ROOT, 'test/fixtures/tasks/outputs');

function fixture(path: string): string {
  return readFileSync(join(OUTPUTS, path), 'utf8');
}

interface Case {
  parser: string;
  /** Fixture files (relative to outputs/) holding what the tool printed. */
  stdout?: string;
  stderr?: string;
  exitCode: number | null;
  expect?: Record<string, string>;
  status: CheckStatus;
  reason: RegExp;
  /** When given, the whole details list must match. */
  details?: string[];
}

const TUPPR_EXPECT = { talosVersion: '1.12.0', kubernetesVersion: '1.35.0' };

const CASES: Case[] = [
  // ---- talosApiAccess
  {
    parser: 'talosApiAccess',
    stdout: 'talosApiAccess/pass-string-spec.yaml',
    exitCode: 0,
    status: 'pass',
    reason: /^Talos API access enabled for os:admin, os:etcd:backup in system-upgrade, kube-system$/,
    details: ['192.168.1.61: enabled; roles os:admin, os:etcd:backup; namespaces system-upgrade, kube-system'],
  },
  {
    parser: 'talosApiAccess',
    stdout: 'talosApiAccess/pass-mapping-spec-two-nodes.yaml',
    exitCode: 0,
    status: 'pass',
    reason: /in system-upgrade, kube-system on 2 nodes$/,
    details: [
      '10.0.0.11: enabled; roles os:admin, os:etcd:backup; namespaces kube-system, system-upgrade',
      '10.0.0.12: enabled; roles os:admin, os:etcd:backup; namespaces kube-system, system-upgrade',
    ],
  },
  {
    parser: 'talosApiAccess',
    stdout: 'talosApiAccess/pass-active-and-persistent.yaml',
    exitCode: 0,
    status: 'pass',
    reason: /^Talos API access enabled for os:admin, os:etcd:backup in system-upgrade, kube-system$/,
    details: ['192.168.1.61: enabled; roles os:admin, os:etcd:backup; namespaces system-upgrade, kube-system'],
  },
  {
    parser: 'talosApiAccess',
    stdout: 'talosApiAccess/pass-access-document.yaml',
    exitCode: 0,
    status: 'pass',
    reason: /^Talos API access enabled/,
    details: ['192.168.1.61: enabled; roles os:admin, os:etcd:backup; namespaces system-upgrade, kube-system'],
  },
  {
    parser: 'talosApiAccess',
    stdout: 'talosApiAccess/fail-not-enabled.yaml',
    exitCode: 0,
    status: 'fail',
    reason: /^node 192\.168\.1\.63: Talos API access from Kubernetes is not enabled; apply the config with task talos:apply-node IP=192\.168\.1\.63$/,
    details: ['192.168.1.63: kubernetesTalosAPIAccess not enabled'],
  },
  {
    parser: 'talosApiAccess',
    stdout: 'talosApiAccess/fail-missing-role-and-namespace.yaml',
    exitCode: 0,
    status: 'fail',
    reason: /^node 192\.168\.1\.62: Talos API access lacks role os:etcd:backup and namespace kube-system; apply the config with task talos:apply-node IP=192\.168\.1\.62$/,
    details: ['192.168.1.62: enabled; roles os:admin; namespaces system-upgrade'],
  },
  {
    parser: 'talosApiAccess',
    stdout: 'talosApiAccess/fail-not-yaml.txt',
    exitCode: 0,
    status: 'fail',
    reason: /^could not read the output of talosctl get machineconfig: it is not YAML$/,
  },
  {
    parser: 'talosApiAccess',
    stderr: 'talosApiAccess/error-no-route.stderr.txt',
    exitCode: 1,
    status: 'error',
    reason: /^talosctl could not reach node 192\.168\.1\.172: no route to host$/,
  },

  // ---- podsRunning
  {
    parser: 'podsRunning',
    stdout: 'podsRunning/pass-two-pods-real.json',
    exitCode: 0,
    status: 'pass',
    reason: /^2 pods running, all containers ready$/,
    details: ['t1 1/1 Running', 't2 1/1 Running'],
  },
  {
    parser: 'podsRunning',
    stdout: 'podsRunning/pass-with-finished-job-pod.json',
    exitCode: 0,
    status: 'pass',
    reason: /^1 pod running, all containers ready$/,
    details: ['rustfs-0 1/1 Running', 'rustfs-bucket-setup-8w2lm 0/1 Succeeded (Completed)'],
  },
  {
    parser: 'podsRunning',
    stdout: 'podsRunning/fail-crashloop.json',
    exitCode: 0,
    status: 'fail',
    reason: /^pod centos-new-6846f658db-w4qhj CrashLoopBackOff \(container centos-new, 6 restarts\)$/,
    details: ['tuppr-6d9f7c8b5-x2kqp 1/1 Running', 'centos-new-6846f658db-w4qhj 0/1 Running (CrashLoopBackOff, 6 restarts)'],
  },
  {
    parser: 'podsRunning',
    stdout: 'podsRunning/fail-pending-unschedulable.json',
    exitCode: 0,
    status: 'fail',
    reason: /^pod cloudnative-pg-7b9c6d5f4-hq8zt is Pending: 0\/3 nodes are available: 3 node\(s\) didn't match Pod's node affinity\/selector\./,
    details: ['cloudnative-pg-7b9c6d5f4-hq8zt 0/1 Pending'],
  },
  {
    parser: 'podsRunning',
    stdout: 'podsRunning/fail-running-not-ready.json',
    exitCode: 0,
    status: 'fail',
    reason: /^pod tuppr-6d9f7c8b5-x2kqp is Running but 0\/1 containers are ready$/,
    details: ['tuppr-6d9f7c8b5-x2kqp 0/1 Running'],
  },
  {
    parser: 'podsRunning',
    stdout: 'podsRunning/fail-empty.json',
    exitCode: 0,
    status: 'fail',
    reason: /^no pods found/,
    details: [],
  },
  {
    parser: 'podsRunning',
    stderr: 'kubectl/no-kubeconfig.stderr.txt',
    exitCode: 1,
    status: 'error',
    reason: /^kubectl has no cluster configured \(it fell back to localhost:8080\)/,
  },
  {
    parser: 'podsRunning',
    stderr: 'kubectl/namespace-not-found.stderr.txt',
    exitCode: 1,
    status: 'fail',
    reason: /^the cluster answered NotFound: namespaces "identity" not found$/,
  },

  // ---- crdsPresent
  {
    parser: 'crdsPresent',
    stdout: 'crdsPresent/pass-cluster-crds.txt',
    exitCode: 0,
    expect: { names: 'talosupgrades.tuppr.home-operations.com,kubernetesupgrades.tuppr.home-operations.com' },
    status: 'pass',
    reason: /^all 2 CRDs installed$/,
    details: ['talosupgrades.tuppr.home-operations.com installed', 'kubernetesupgrades.tuppr.home-operations.com installed'],
  },
  {
    parser: 'crdsPresent',
    stdout: 'crdsPresent/pass-table.txt',
    exitCode: 0,
    expect: { names: 'backups.postgresql.cnpg.io, clusters.postgresql.cnpg.io, poolers.postgresql.cnpg.io, scheduledbackups.postgresql.cnpg.io' },
    status: 'pass',
    reason: /^all 4 CRDs installed$/,
  },
  {
    parser: 'crdsPresent',
    stdout: 'crdsPresent/fail-no-tuppr.txt',
    exitCode: 0,
    expect: { names: 'talosupgrades.tuppr.home-operations.com,kubernetesupgrades.tuppr.home-operations.com' },
    status: 'fail',
    reason: /^missing CRDs: talosupgrades\.tuppr\.home-operations\.com, kubernetesupgrades\.tuppr\.home-operations\.com$/,
    details: ['talosupgrades.tuppr.home-operations.com missing', 'kubernetesupgrades.tuppr.home-operations.com missing'],
  },
  {
    parser: 'crdsPresent',
    stdout: 'crdsPresent/fail-no-tuppr.txt',
    exitCode: 0,
    expect: { names: 'clusters.postgresql.cnpg.io,certificates.cert-manager.io' },
    status: 'fail',
    reason: /^missing CRD: clusters\.postgresql\.cnpg\.io$/,
  },
  {
    parser: 'crdsPresent',
    stdout: 'crdsPresent/pass-cluster-crds.txt',
    exitCode: 0,
    status: 'error',
    reason: /names no CRDs/,
  },
  {
    parser: 'crdsPresent',
    stderr: 'kubectl/unreachable.stderr.txt',
    exitCode: 1,
    expect: { names: 'x' },
    status: 'error',
    reason: /^kubectl could not reach the cluster: dial tcp 192\.168\.1\.60:6443: i\/o timeout$/,
  },

  // ---- upgradesCompleted
  {
    parser: 'upgradesCompleted',
    stdout: 'upgradesCompleted/pass-completed-tuppr-0.0.51.json',
    exitCode: 0,
    expect: TUPPR_EXPECT,
    status: 'pass',
    reason: /^TalosUpgrade talos Completed \(v1\.12\.0\); KubernetesUpgrade kubernetes Completed \(v1\.35\.0\)$/,
    details: ['TalosUpgrade talos: Completed, target v1.12.0, 6 nodes done', 'KubernetesUpgrade kubernetes: Completed, target v1.35.0, current v1.35.0'],
  },
  {
    parser: 'upgradesCompleted',
    stdout: 'upgradesCompleted/pass-completed-current-api.json',
    exitCode: 0,
    expect: { talosVersion: 'v1.12.0', kubernetesVersion: '1.35.0' },
    status: 'pass',
    reason: /^TalosUpgrade talos Completed \(v1\.12\.0\); KubernetesUpgrade kubernetes Completed \(v1\.35\.0\)$/,
    details: ['TalosUpgrade talos: Completed, target v1.12.0, 3 nodes done', 'KubernetesUpgrade kubernetes: Completed, target v1.35.0, current v1.35.0'],
  },
  {
    parser: 'upgradesCompleted',
    stdout: 'upgradesCompleted/fail-talos-pending-health-checks.json',
    exitCode: 0,
    expect: TUPPR_EXPECT,
    status: 'fail',
    reason: /^TalosUpgrade talos is Pending: Waiting for health checks: health checks failed: exceeded maximum timeout of 10m0s$/,
    details: ['TalosUpgrade talos: Pending, target v1.12.0, 2 nodes done', 'KubernetesUpgrade kubernetes: Completed, target v1.35.0, current v1.35.0'],
  },
  {
    parser: 'upgradesCompleted',
    stdout: 'upgradesCompleted/fail-stale-version.json',
    exitCode: 0,
    expect: TUPPR_EXPECT,
    status: 'fail',
    reason: /^TalosUpgrade talos targets v1\.11\.5 but talos_version is 1\.12\.0: run task configure, commit, push and reconcile$/,
  },
  {
    parser: 'upgradesCompleted',
    stdout: 'upgradesCompleted/fail-kubernetes-upgrade-missing.json',
    exitCode: 0,
    expect: TUPPR_EXPECT,
    status: 'fail',
    reason: /^no KubernetesUpgrade found: is the tuppr-upgrades Kustomization applied\?$/,
    details: ['TalosUpgrade talos: Completed, target v1.12.0, 6 nodes done'],
  },
  {
    parser: 'upgradesCompleted',
    stdout: 'upgradesCompleted/fail-kubernetes-failed.json',
    exitCode: 0,
    expect: TUPPR_EXPECT,
    status: 'fail',
    reason: /^KubernetesUpgrade kubernetes Failed: Kubernetes upgrade job failed permanently$/,
  },
  {
    parser: 'upgradesCompleted',
    stdout: 'upgradesCompleted/fail-talos-failed-issue-213.json',
    exitCode: 0,
    expect: { talosVersion: '1.12.7', kubernetesVersion: '1.35.4' },
    status: 'fail',
    reason: /^TalosUpgrade talos Failed: Completed with failures: 2 successful, 1 failed$/,
    details: [
      'TalosUpgrade talos: Failed, target v1.12.7, 2 nodes done, failed: dopey (node dopey version mismatch: current=v1.12.6, target=v1.12.7)',
      'KubernetesUpgrade kubernetes: Completed, target v1.35.4, current v1.35.4',
    ],
  },
  {
    parser: 'upgradesCompleted',
    stdout: 'upgradesCompleted/fail-kubernetes-upgrading-issue-241.json',
    exitCode: 0,
    expect: { talosVersion: '1.12.7', kubernetesVersion: '1.35.4' },
    status: 'fail',
    reason: /^KubernetesUpgrade kubernetes is still in progress \(Upgrading\): Upgrading Kubernetes to v1\.35\.4 \(job: kubernetes-control-plane-1-d47f3973\)$/,
  },
  {
    parser: 'upgradesCompleted',
    stdout: 'upgradesCompleted/fail-no-status.json',
    exitCode: 0,
    expect: TUPPR_EXPECT,
    status: 'fail',
    reason: /^TalosUpgrade talos has no status yet: tuppr has not processed it/,
  },
  {
    parser: 'upgradesCompleted',
    stdout: 'upgradesCompleted/fail-stale-version.json',
    exitCode: 0,
    status: 'pass',
    reason: /^TalosUpgrade talos Completed \(v1\.11\.5\); KubernetesUpgrade kubernetes Completed \(v1\.35\.0\)$/,
  },
  {
    parser: 'upgradesCompleted',
    stdout: 'upgradesCompleted/pass-completed-tuppr-0.0.51.json',
    exitCode: 0,
    expect: { talosVersion: '{talos_version}', kubernetesVersion: '1.35.0' },
    status: 'error',
    reason: /^talos_version is not set in cluster\.yaml/,
  },
  {
    parser: 'upgradesCompleted',
    stderr: 'kubectl/no-tuppr-crds.stderr.txt',
    exitCode: 1,
    expect: TUPPR_EXPECT,
    status: 'fail',
    reason: /^the cluster has no resource type "talosupgrade": its CRDs are not installed$/,
  },

  // ---- nodesReady
  {
    parser: 'nodesReady',
    stdout: 'nodesReady/pass-three-nodes.json',
    exitCode: 0,
    status: 'pass',
    reason: /^all 3 nodes Ready$/,
    details: ['k8s-0 Ready (v1.35.0, Talos (v1.12.0))', 'k8s-1 Ready (v1.35.0, Talos (v1.12.0))', 'k8s-2 Ready (v1.35.0, Talos (v1.12.0))'],
  },
  {
    parser: 'nodesReady',
    stdout: 'nodesReady/pass-one-cordoned.json',
    exitCode: 0,
    status: 'pass',
    reason: /^all 2 nodes Ready$/,
    details: ['k8s-0 Ready (v1.35.0, Talos (v1.12.0))', 'k8s-1 Ready (v1.35.0, Talos (v1.12.0), cordoned)'],
  },
  {
    parser: 'nodesReady',
    stdout: 'nodesReady/fail-cni-not-ready.json',
    exitCode: 0,
    status: 'fail',
    reason: /^node k8s-0 NotReady: container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady/,
  },
  {
    parser: 'nodesReady',
    stdout: 'nodesReady/fail-one-unknown.json',
    exitCode: 0,
    status: 'fail',
    reason: /^node k8s-1 NotReady \(status Unknown\): Kubelet stopped posting node status\.$/,
    details: ['k8s-0 Ready (v1.35.0, Talos (v1.12.0))', 'k8s-1 NotReady (status Unknown): Kubelet stopped posting node status.', 'k8s-2 Ready (v1.35.0, Talos (v1.12.0))'],
  },
  {
    parser: 'nodesReady',
    stderr: 'kubectl/api-server-down.stderr.txt',
    exitCode: 1,
    status: 'error',
    reason: /^kubectl could not reach the cluster at 127\.0\.0\.1:6443: connection refused$/,
  },

  // ---- talosVersion
  {
    parser: 'talosVersion',
    stdout: 'talosVersion/pass-single-node-real.txt',
    exitCode: 0,
    expect: { talosVersion: '1.12.6' },
    status: 'pass',
    reason: /^Talos v1\.12\.6 on node xps13$/,
    details: ['xps13: v1.12.6'],
  },
  {
    parser: 'talosVersion',
    stdout: 'talosVersion/fail-node-behind-real.txt',
    exitCode: 0,
    expect: { talosVersion: '1.12.6' },
    status: 'fail',
    reason: /^node xps13 runs Talos v1\.12\.4, expected 1\.12\.6$/,
    details: ['xps13: v1.12.4'],
  },
  {
    parser: 'talosVersion',
    stdout: 'talosVersion/fail-two-nodes-one-behind.txt',
    exitCode: 0,
    expect: { talosVersion: '1.12.0' },
    status: 'fail',
    reason: /^node 192\.168\.1\.62 runs Talos v1\.11\.5, expected 1\.12\.0$/,
    details: ['192.168.1.61: v1.12.0', '192.168.1.62: v1.11.5'],
  },
  {
    parser: 'talosVersion',
    stdout: 'talosVersion/pass-single-node-real.txt',
    exitCode: 0,
    expect: { talosVersion: '{talos_version}' },
    status: 'error',
    reason: /^this check has no expected Talos version/,
  },
  {
    parser: 'talosVersion',
    stdout: 'talosVersion/error-one-node-down.stdout.txt',
    stderr: 'talosVersion/error-one-node-down.stderr.txt',
    exitCode: 1,
    expect: { talosVersion: '1.12.0' },
    status: 'error',
    reason: /^talosctl could not reach node 192\.168\.1\.63: connection refused$/,
  },
  {
    parser: 'talosVersion',
    stdout: 'talosVersion/error-no-endpoints.stdout.txt',
    stderr: 'talosVersion/error-no-endpoints.stderr.txt',
    exitCode: 1,
    expect: { talosVersion: '1.12.0' },
    status: 'error',
    reason: /^talosctl has no endpoints/,
  },

  // ---- kubernetesServerVersion
  {
    parser: 'kubernetesServerVersion',
    stdout: 'kubernetesServerVersion/pass-talos-cluster.json',
    exitCode: 0,
    expect: { kubernetesVersion: '1.35.0' },
    status: 'pass',
    reason: /^the API server runs v1\.35\.0$/,
    details: ['client v1.35.0', 'server v1.35.0'],
  },
  {
    parser: 'kubernetesServerVersion',
    stdout: 'kubernetesServerVersion/real-issue-53259.json',
    exitCode: 0,
    expect: { kubernetesVersion: 'v1.9.0-alpha.1.487+550c3cab4fe267' },
    status: 'pass',
    reason: /^the API server runs v1\.9\.0-alpha\.1\.487\+550c3cab4fe267$/,
  },
  {
    parser: 'kubernetesServerVersion',
    stdout: 'kubernetesServerVersion/real-issue-53259.json',
    exitCode: 0,
    expect: { kubernetesVersion: '1.35.0' },
    status: 'fail',
    reason: /^the API server runs v1\.9\.0-alpha\.1\.487\+550c3cab4fe267, expected 1\.35\.0$/,
  },
  {
    parser: 'kubernetesServerVersion',
    stdout: 'kubernetesServerVersion/error-server-down.stdout.json',
    stderr: 'kubernetesServerVersion/error-server-down.stderr.txt',
    exitCode: 1,
    expect: { kubernetesVersion: '1.35.0' },
    status: 'error',
    reason: /^kubectl could not reach the cluster at 192\.168\.1\.60:6443: connection refused$/,
  },
  {
    parser: 'kubernetesServerVersion',
    stdout: 'kubernetesServerVersion/error-server-down.stdout.json',
    exitCode: 0,
    expect: { kubernetesVersion: '1.35.0' },
    status: 'fail',
    reason: /^could not read the output of kubectl version: it has no serverVersion/,
  },

  // ---- jobCompleted
  {
    parser: 'jobCompleted',
    stdout: 'jobCompleted/pass-complete.json',
    exitCode: 0,
    status: 'pass',
    reason: /^job test-backup completed$/,
    details: ['test-backup 1/1 succeeded, 0 active, 0 failed'],
  },
  {
    parser: 'jobCompleted',
    stdout: 'jobCompleted/fail-backoff-limit.json',
    exitCode: 0,
    status: 'fail',
    reason: /^job test-backup failed: BackoffLimitExceeded: Job has reached the specified backoff limit$/,
    details: ['test-backup 0/1 succeeded, 0 active, 7 failed'],
  },
  {
    parser: 'jobCompleted',
    stdout: 'jobCompleted/fail-still-running.json',
    exitCode: 0,
    status: 'fail',
    reason: /^job test-backup is still running \(1 active pod, 0\/1 done\)$/,
  },
  {
    parser: 'jobCompleted',
    stderr: 'kubectl/job-not-found.stderr.txt',
    exitCode: 1,
    status: 'fail',
    reason: /^the cluster answered NotFound: jobs\.batch "test-backup" not found$/,
  },

  // ---- cronJobActive
  {
    parser: 'cronJobActive',
    stdout: 'cronJobActive/pass-talos-backup.json',
    exitCode: 0,
    expect: { schedule: '0 */6 * * *' },
    status: 'pass',
    reason: /^cronjob talos-backup active, schedule 0 \*\/6 \* \* \*$/,
    details: ['talos-backup: schedule 0 */6 * * *, not suspended, last run 2026-01-06T12:00:00Z, last success 2026-01-06T12:00:31Z'],
  },
  {
    parser: 'cronJobActive',
    stdout: 'cronJobActive/pass-never-run.json',
    exitCode: 0,
    status: 'pass',
    reason: /^cronjob talos-backup active/,
    details: ['talos-backup: schedule 0 */6 * * *, not suspended, never run'],
  },
  {
    parser: 'cronJobActive',
    stdout: 'cronJobActive/fail-suspended.json',
    exitCode: 0,
    expect: { schedule: '0 */6 * * *' },
    status: 'fail',
    reason: /^cronjob talos-backup is suspended$/,
  },
  {
    parser: 'cronJobActive',
    stdout: 'cronJobActive/fail-other-schedule.json',
    exitCode: 0,
    expect: { schedule: '0 */6 * * *' },
    status: 'fail',
    reason: /^cronjob talos-backup runs on "0 2 \* \* \*", expected "0 \*\/6 \* \* \*"$/,
  },

  // ---- policyAccepted
  {
    parser: 'policyAccepted',
    stdout: 'policyAccepted/pass-jwt-auth.json',
    exitCode: 0,
    status: 'pass',
    reason: /^SecurityPolicy jwt-auth accepted$/,
    details: ['jwt-auth on Gateway network/envoy-external (https): Accepted=True (Accepted): Policy has been accepted.'],
  },
  {
    parser: 'policyAccepted',
    stdout: 'policyAccepted/pass-accepted-eg-testdata.json',
    exitCode: 0,
    status: 'pass',
    reason: /^SecurityPolicy policy-for-route accepted$/,
  },
  {
    parser: 'policyAccepted',
    stdout: 'policyAccepted/fail-invalid-oidc-eg-testdata.json',
    exitCode: 0,
    status: 'fail',
    reason: /^SecurityPolicy policy-for-http-route not accepted by Gateway envoy-gateway\/gateway-1 \(http\): OIDC: secret default\/client2-secret does not exist\.$/,
    details: ['policy-for-http-route on Gateway envoy-gateway/gateway-1 (http): Accepted=False (Invalid): OIDC: secret default/client2-secret does not exist.'],
  },
  {
    parser: 'policyAccepted',
    stdout: 'policyAccepted/fail-no-ancestors.json',
    exitCode: 0,
    status: 'fail',
    reason: /^SecurityPolicy jwt-auth is attached to nothing yet/,
    details: ['jwt-auth: no ancestors in status'],
  },
  {
    parser: 'policyAccepted',
    stderr: 'kubectl/unauthorized.stderr.txt',
    exitCode: 1,
    status: 'error',
    reason: /^the cluster rejected the kubeconfig credentials \(Unauthorized\)$/,
  },

  // ---- routesAccepted
  {
    parser: 'routesAccepted',
    stdout: 'routesAccepted/pass-eg-testdata.json',
    exitCode: 0,
    status: 'pass',
    reason: /^1 GRPCRoute accepted with all references resolved$/,
    details: ['default/grpcroute-1 on Gateway envoy-gateway/gateway-1 (http): Accepted=True, ResolvedRefs=True'],
  },
  {
    parser: 'routesAccepted',
    stdout: 'routesAccepted/fail-backend-not-found-eg-testdata.json',
    exitCode: 0,
    status: 'fail',
    reason: /^GRPCRoute default\/grpcroute-1 has unresolved references: Failed to process route rule 0 backendRef 1: service default\/service-not-exist not found\.$/,
  },
  {
    parser: 'routesAccepted',
    stdout: 'routesAccepted/fail-not-accepted-eg-testdata.json',
    exitCode: 0,
    status: 'fail',
    reason: /^GRPCRoute default\/grpcroute-1 not accepted by Gateway envoy-gateway\/gateway-1 \(http\): DirectResponse with a 2xx status code is not supported for GRPCRoute.*…$/,
  },
  {
    parser: 'routesAccepted',
    stdout: 'routesAccepted/fail-empty.json',
    exitCode: 0,
    status: 'fail',
    reason: /^no GRPCRoute found/,
  },

  // ---- resourceReady
  {
    parser: 'resourceReady',
    stdout: 'resourceReady/pass-keycloak-ready.json',
    exitCode: 0,
    status: 'pass',
    reason: /^Keycloak keycloak is Ready$/,
    details: ['Keycloak keycloak: Ready=True; HasErrors=False; RollingUpdate=False'],
  },
  {
    parser: 'resourceReady',
    stdout: 'resourceReady/fail-keycloak-starting.json',
    exitCode: 0,
    status: 'fail',
    reason: /^Keycloak keycloak is not Ready: Waiting for more replicas$/,
  },
  {
    parser: 'resourceReady',
    stdout: 'resourceReady/fail-keycloak-crashloop.json',
    exitCode: 0,
    status: 'fail',
    reason: /^Keycloak keycloak is not Ready: Waiting for identity\/keycloak-0 due to CrashLoopBackOff: back-off 5m0s/,
  },
  {
    parser: 'resourceReady',
    stdout: 'resourceReady/fail-no-status.json',
    exitCode: 0,
    status: 'fail',
    reason: /^Keycloak keycloak reports no Ready condition yet$/,
    details: ['Keycloak keycloak: no conditions'],
  },

  // ---- oidcDiscovery
  {
    parser: 'oidcDiscovery',
    stdout: 'oidcDiscovery/pass-keycloak.json',
    exitCode: 0,
    expect: { issuer: 'https://sso.example.com/realms/matherlynet' },
    status: 'pass',
    reason: /^issuer is https:\/\/sso\.example\.com\/realms\/matherlynet$/,
    details: [
      'issuer: https://sso.example.com/realms/matherlynet',
      'jwks_uri: https://sso.example.com/realms/matherlynet/protocol/openid-connect/certs',
      'token_endpoint: https://sso.example.com/realms/matherlynet/protocol/openid-connect/token',
    ],
  },
  {
    parser: 'oidcDiscovery',
    stdout: 'oidcDiscovery/fail-internal-issuer.json',
    exitCode: 0,
    expect: { issuer: 'https://sso.example.com/realms/matherlynet' },
    status: 'fail',
    reason: /^issuer is http:\/\/keycloak-service\.identity\.svc\.cluster\.local:8080\/realms\/matherlynet, expected https:\/\/sso\.example\.com\/realms\/matherlynet$/,
  },
  {
    parser: 'oidcDiscovery',
    stdout: 'oidcDiscovery/pass-keycloak.json',
    exitCode: 0,
    expect: { issuer: 'https://sso.example.com/realms/matherlynet/' },
    status: 'fail',
    reason: /differ only by a trailing slash/,
  },
  {
    parser: 'oidcDiscovery',
    stdout: 'oidcDiscovery/fail-html-page.txt',
    exitCode: 0,
    expect: { issuer: 'https://sso.example.com/realms/matherlynet' },
    status: 'fail',
    reason: /^could not read the output of the OpenID discovery request: it is not JSON$/,
  },
  {
    parser: 'oidcDiscovery',
    stderr: 'oidcDiscovery/fail-http-404.stderr.txt',
    exitCode: 22,
    status: 'fail',
    reason: /^the server answered with an HTTP error: The requested URL returned error: 404$/,
  },
  {
    parser: 'oidcDiscovery',
    stderr: 'oidcDiscovery/error-dns.stderr.txt',
    exitCode: 6,
    status: 'error',
    reason: /^curl could not fetch the document \(curl error 6\): Could not resolve host: sso\.example\.com$/,
  },

  // ---- jwksKeys
  {
    parser: 'jwksKeys',
    stdout: 'jwksKeys/pass-two-keys.json',
    exitCode: 0,
    status: 'pass',
    reason: /^2 keys published \(RS256, RSA-OAEP\)$/,
  },
  {
    parser: 'jwksKeys',
    stdout: 'jwksKeys/fail-empty.json',
    exitCode: 0,
    status: 'fail',
    reason: /^the JSON Web Key Set is empty/,
  },
  {
    parser: 'jwksKeys',
    stdout: 'jwksKeys/fail-error-body.json',
    exitCode: 0,
    status: 'fail',
    reason: /^the answer is not a JSON Web Key Set: it has no keys array$/,
  },

  // ---- exitCode
  { parser: 'exitCode', exitCode: 0, status: 'pass', reason: /^the command succeeded$/, details: [] },
  {
    parser: 'exitCode',
    stderr: 'exitCode/fail.stderr.txt',
    exitCode: 200,
    status: 'fail',
    reason: /^the command exited with code 200: task: Task "reconcile" does not exist$/,
  },
  { parser: 'exitCode', exitCode: null, status: 'error', reason: /^the command did not finish/ },
];

function outputOf(testCase: Case): CheckOutput {
  return {
    stdout: testCase.stdout ? fixture(testCase.stdout) : '',
    stderr: testCase.stderr ? fixture(testCase.stderr) : '',
    exitCode: testCase.exitCode,
  };
}

function assertOneLine(verdict: CheckVerdict): void {
  assert.ok(verdict.reason.length > 0, 'empty reason');
  assert.ok(!/[\r\n]/.test(verdict.reason), `reason spans lines: ${verdict.reason}`);
  assert.ok(verdict.reason.length <= 400, `reason too long (${verdict.reason.length})`);
}

describe('output parsers on captured tool output', () => {
  for (const testCase of CASES) {
    const source = [testCase.stdout, testCase.stderr].filter((f) => f).join(' + ') || `exit ${testCase.exitCode}`;
    it(`${testCase.parser}: ${source} → ${testCase.status}`, () => {
      const verdict = parseCheckOutput(testCase.parser, outputOf(testCase), testCase.expect ?? {});
      assert.equal(verdict.status, testCase.status, `reason was: ${verdict.reason}`);
      assert.match(verdict.reason, testCase.reason);
      assertOneLine(verdict);
      if (testCase.details) assert.deepEqual(verdict.details, testCase.details);
    });
  }

  it('has pass and fail fixtures for every parser, two each for the tuppr ones', () => {
    for (const parser of Object.keys(OUTPUT_PARSERS)) {
      const passes = CASES.filter((c) => c.parser === parser && c.status === 'pass').length;
      const fails = CASES.filter((c) => c.parser === parser && c.status === 'fail').length;
      const needed = parser === 'upgradesCompleted' || parser === 'talosApiAccess' ? 2 : 1;
      assert.ok(passes >= needed && fails >= needed, `${parser}: ${passes} pass, ${fails} fail cases`);
    }
  });
});

describe('parseCheckOutput', () => {
  it('lists exactly the parsers the catalog may name', () => {
    assert.deepEqual(Object.keys(OUTPUT_PARSERS).sort(), [
      'crdsPresent',
      'cronJobActive',
      'exitCode',
      'jobCompleted',
      'jwksKeys',
      'kubernetesServerVersion',
      'nodesReady',
      'oidcDiscovery',
      'podsRunning',
      'policyAccepted',
      'resourceReady',
      'routesAccepted',
      'talosApiAccess',
      'talosVersion',
      'upgradesCompleted',
    ]);
    assert.ok(Object.isFrozen(OUTPUT_PARSERS));
  });

  it('knows every parser the catalog names', () => {
    const catalog = JSON.parse(readFileSync(join(ROOT, 'server/src/engines/tasks/catalog.json'), 'utf8')) as { items: { steps: { kind?: string; parser?: string }[] }[] };
    const named = catalog.items.flatMap((item) => item.steps).filter((step) => step.kind === 'verify').map((step) => step.parser ?? '(none)');
    assert.ok(named.length > 0);
    assert.deepEqual(named.filter((id) => !(id in OUTPUT_PARSERS)), []);
  });

  it('answers an unknown parser with an error, not an exception', () => {
    assert.deepEqual(parseCheckOutput('noSuchParser', { stdout: '', stderr: '', exitCode: 0 }, {}), {
      status: 'error',
      reason: 'unknown output parser "noSuchParser"',
      details: [],
    });
    assert.equal(parseCheckOutput('toString', { stdout: '', stderr: '', exitCode: 0 }, {}).status, 'error');
  });

  it('reads odd output as fail or error, never throwing', () => {
    const oddOutputs = ['', 'null', '[]', '42', '"text"', '{"items":5}', '{"items":[null,1,"x"]}', '{"status":{"conditions":"x","ancestors":{},"parents":7}}', '---\n---\n', '\u0000\uffff', 'spec: |\n  machine: [', '{"kind":"List"'];
    for (const parser of Object.keys(OUTPUT_PARSERS)) {
      for (const stdout of oddOutputs) {
        const verdict = parseCheckOutput(parser, { stdout, stderr: '', exitCode: 0 }, { names: 'a', talosVersion: '1.0.0', kubernetesVersion: '1.0.0', issuer: 'x', schedule: '* * * * *' });
        assert.ok(['pass', 'fail', 'error'].includes(verdict.status), `${parser} on ${JSON.stringify(stdout)}`);
        assertOneLine(verdict);
        if (parser !== 'exitCode' && parser !== 'crdsPresent') assert.notEqual(verdict.status, 'pass', `${parser} passed ${JSON.stringify(stdout)}`);
      }
    }
  });

  it('says why a tool that did not finish could not be read', () => {
    assert.deepEqual(parseCheckOutput('nodesReady', { stdout: '', stderr: '', exitCode: null }, {}), {
      status: 'error',
      reason: 'kubectl did not finish (not installed, or stopped by the timeout)',
      details: [],
    });
    const talos = parseCheckOutput('talosVersion', { stdout: '', stderr: 'error getting version from node 10.0.0.2: something unforeseen\n', exitCode: 1 }, { talosVersion: '1.12.0' });
    assert.deepEqual(talos, { status: 'error', reason: 'talosctl exited with code 1: error getting version from node 10.0.0.2: something unforeseen', details: [] });
  });

  it('never repeats secrets from a machine config, nor the text of broken JSON', () => {
    const sentinel = 'sekrit-9f2c1e';
    const config = fixture('talosApiAccess/fail-missing-role-and-namespace.yaml').replace(/REDACTED/g, sentinel);
    const verdict = parseCheckOutput('talosApiAccess', { stdout: config, stderr: '', exitCode: 0 }, {});
    assert.equal(verdict.status, 'fail');
    assert.ok(!JSON.stringify(verdict).includes(sentinel));
    for (const parser of ['podsRunning', 'oidcDiscovery', 'jwksKeys', 'upgradesCompleted']) {
      const broken = parseCheckOutput(parser, { stdout: `{"issuer": "${sentinel}", "keys": [`, stderr: '', exitCode: 0 }, {});
      assert.equal(broken.status, 'fail');
      assert.ok(!JSON.stringify(broken).includes(sentinel), parser);
    }
  });

  it('cuts long quoted messages to one short line', () => {
    const message = `first line of a long message ${'x'.repeat(400)}\nsecond line`;
    const job = { kind: 'Job', metadata: { name: 'j' }, spec: { completions: 1 }, status: { conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message }] } };
    const verdict = parseCheckOutput('jobCompleted', { stdout: JSON.stringify(job), stderr: '', exitCode: 0 }, {});
    assert.equal(verdict.status, 'fail');
    assert.ok(verdict.reason.endsWith('…'));
    assert.ok(!verdict.reason.includes('second line'));
    assertOneLine(verdict);
  });
});
