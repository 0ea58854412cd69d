// The output parsers of the catalog's verify steps: each reads what one cluster tool printed
// (kubectl, talosctl, curl) and says pass, fail or error with a one-line reason. Pure: text in,
// verdict out; never runs anything, never throws, and never repeats a tool's stdout wholesale.
import { parseAllDocuments } from 'yaml';
import type { CheckOutput, CheckVerdict, OutputParser } from './catalogTypes';

// Status convention: 'error' means the check could not be made (no cluster reachable, no
// kubeconfig, talosctl cannot connect, the tool did not run); 'fail' means the cluster answered
// and the thing checked is missing or unhealthy (NotFound and missing CRDs are answers).

/** Longest piece of tool text quoted in a reason. */
const MAX_QUOTE = 160;

/** The Talos API access the cluster-template's machine-talos-api patch grants (tuppr and talos-backup need it). */
const REQUIRED_TALOS_ROLES = ['os:admin', 'os:etcd:backup'];
const REQUIRED_TALOS_NAMESPACES = ['system-upgrade', 'kube-system'];
/** The MachineConfig resource the node runs (pkg/machinery/resources/config ActiveID). */
const ACTIVE_MACHINE_CONFIG_ID = 'v1alpha1';

/** tuppr phases while an upgrade runs (api/v1alpha1 JobPhase; 0.0.x used InProgress for all of them). */
const TUPPR_ACTIVE_PHASES = new Set(['InProgress', 'HealthChecking', 'PreHook', 'Draining', 'Upgrading', 'Rebooting', 'PostHook']);

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Follows object keys; undefined as soon as one is missing. */
function at(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

function pass(reason: string, details: string[] = []): CheckVerdict {
  return { status: 'pass', reason, details };
}

function fail(reason: string, details: string[] = []): CheckVerdict {
  return { status: 'fail', reason, details };
}

function error(reason: string, details: string[] = []): CheckVerdict {
  return { status: 'error', reason, details };
}

/** One line of tool text, whitespace collapsed and cut, fit for a reason. */
function quote(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > MAX_QUOTE ? `${line.slice(0, MAX_QUOTE - 1)}…` : line;
}

/** "1.12.0" and "v1.12.0" name the same release. */
function normalizeVersion(version: string): string {
  return version.trim().replace(/^v/i, '');
}

function isSameVersion(actual: string, expected: string): boolean {
  return normalizeVersion(actual) === normalizeVersion(expected);
}

/**
 * An expectation worth comparing with: empty values and placeholders left unsubstituted
 * ("{talos_version}" when cluster.yaml lacks the key) count as not given.
 */
function expectation(expect: Record<string, string>, key: string): string | undefined {
  const value = expect[key]?.trim();
  return value && !/\{[^}]*\}/.test(value) ? value : undefined;
}

/** "a", "a and b", "a, b and c". */
function listWords(words: string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/** The first problem, with a count of the others so one line still says how much is wrong. */
function firstOf(problems: string[]): string {
  return problems.length > 1 ? `${problems[0]} (and ${problems.length - 1} more)` : problems[0];
}

// ---- Tool failures ----------------------------------------------------------------------------

type Tool = 'kubectl' | 'talosctl' | 'curl' | 'the command';

/** kubectl's client-side log lines (klog "E0107 12:00:00.1 file.go:1] …") and API warnings precede the real error. */
const NOISE_LINE = /^(?:[EIWF]\d{4} \d|Warning: )/;

/** The line of stderr that says what went wrong. */
function mainErrorLine(text: string): string {
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line.length > 0);
  return lines.find((line) => !NOISE_LINE.test(line)) ?? lines[0] ?? '';
}

/** What talosctl's gRPC "Unavailable" error boils down to. */
function connectionCause(description: string): string {
  const known = /(connection refused|no route to host|i\/o timeout|connection reset by peer|network is unreachable|no such host|context deadline exceeded)/.exec(description);
  return known ? known[1] : quote(description);
}

interface FailurePattern {
  pattern: RegExp;
  verdict: (match: RegExpExecArray) => CheckVerdict;
}

// Tried in order on stderr; the first match explains the failure. Messages are the tools' own
// (kubectl's api errors and cmd/util helpers, talosctl's gRPC client, curl's error buffer).
const FAILURE_PATTERNS: FailurePattern[] = [
  {
    pattern: /curl: \((\d+)\) ([^\r\n]+)/,
    verdict: (m) =>
      m[1] === '22'
        ? fail(`the server answered with an HTTP error: ${quote(m[2])}`)
        : error(`curl could not fetch the document (curl error ${m[1]}): ${quote(m[2])}`),
  },
  {
    pattern: /failed to determine endpoints/,
    verdict: () => error('talosctl has no endpoints: TALOSCONFIG must point at talos/clusterconfig/talosconfig (or pass --endpoints)'),
  },
  {
    pattern: /open (\S*talos\S*): no such file or directory/,
    verdict: (m) => error(`the Talos client configuration ${m[1]} does not exist (run task talos:generate-config)`),
  },
  {
    pattern: /rpc error: code = Unavailable desc = ([^\r\n]+)/,
    verdict: (m) => {
      const node = /(?:on|from) node ([^\s:]+)/.exec(m.input) ?? /dial tcp ([^\s]+?):\d+:/.exec(m.input);
      return error(`talosctl could not reach ${node ? `node ${node[1]}` : 'the node'}: ${connectionCause(m[1])}`);
    },
  },
  {
    pattern: /rpc error: code = (?:PermissionDenied|Unauthenticated) desc = ([^\r\n]+)/,
    verdict: (m) => error(`talosctl was refused by the node (its talosconfig lacks the role): ${quote(m[1])}`),
  },
  {
    pattern: /(x509: [^\r\n]+|tls: [^\r\n]+)/,
    verdict: (m) => error(`the server's certificate was rejected (a config from another cluster?): ${quote(m[1])}`),
  },
  {
    pattern: /rpc error: code = (\w+) desc = ([^\r\n]+)/,
    verdict: (m) => error(`talosctl failed (${m[1]}): ${quote(m[2])}`),
  },
  {
    pattern: /The connection to the server (\S+?) was refused/,
    verdict: (m) =>
      m[1].startsWith('localhost:8080')
        ? error('kubectl has no cluster configured (it fell back to localhost:8080): KUBECONFIG must point at the workspace kubeconfig')
        : error(`kubectl could not reach the cluster at ${m[1]}: connection refused`),
  },
  {
    pattern: /Unable to connect to the server: ([^\r\n]+)/,
    verdict: (m) => error(`kubectl could not reach the cluster: ${quote(m[1])}`),
  },
  {
    pattern: /error: the server doesn't have a resource type "([^"]+)"/,
    verdict: (m) => fail(`the cluster has no resource type "${m[1]}": its CRDs are not installed`),
  },
  {
    pattern: /Error from server \(NotFound\): ([^\r\n]+)/,
    verdict: (m) => fail(`the cluster answered NotFound: ${quote(m[1])}`),
  },
  {
    pattern: /Error from server \(Forbidden\): ([^\r\n]+)/,
    verdict: (m) => error(`kubectl is not allowed to read this: ${quote(m[1])}`),
  },
  {
    pattern: /error: You must be logged in to the server/,
    verdict: () => error('the cluster rejected the kubeconfig credentials (Unauthorized)'),
  },
  {
    pattern: /Error from server \((\w+)\): ([^\r\n]+)/,
    verdict: (m) => error(`the Kubernetes API server answered ${m[1]}: ${quote(m[2])}`),
  },
  {
    pattern: /(?:stat|open) (\S*kubeconfig\S*): no such file or directory/,
    verdict: (m) => error(`the kubeconfig ${m[1]} does not exist (task bootstrap:talos writes it)`),
  },
  {
    pattern: /(current-context is not set|context was not found for specified context[^\r\n]*|no configuration has been provided[^\r\n]*)/,
    verdict: (m) => error(`kubectl has no usable context: ${quote(m[1])}`),
  },
];

/** The verdict for a run that did not succeed, or undefined when the output is worth parsing. */
function describeToolFailure(tool: Tool, output: CheckOutput): CheckVerdict | undefined {
  if (output.exitCode === 0) return undefined;
  const stderr = output.stderr.trim();
  if (output.exitCode === null) {
    const why = stderr ? `: ${quote(mainErrorLine(stderr))}` : '';
    return error(`${tool} did not finish (not installed, or stopped by the timeout)${why}`);
  }
  for (const { pattern, verdict } of FAILURE_PATTERNS) {
    const match = pattern.exec(stderr);
    if (match) return verdict(match);
  }
  // stderr only: stdout may hold what the check reads (a machine config with its secrets).
  const line = mainErrorLine(stderr);
  return error(line ? `${tool} exited with code ${output.exitCode}: ${quote(line)}` : `${tool} exited with code ${output.exitCode} and printed no error`);
}

// ---- Reading output ---------------------------------------------------------------------------

type Read<T> = { value: T } | { verdict: CheckVerdict };

function unreadable(command: string, why: string): CheckVerdict {
  return fail(`could not read the output of ${command}: ${why}`);
}

/** Parses JSON without quoting it back: V8's parse errors embed a slice of the input. */
function readJson(output: CheckOutput, command: string): Read<unknown> {
  const text = output.stdout.trim();
  if (!text) return { verdict: unreadable(command, 'it printed nothing') };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return { verdict: unreadable(command, 'it is not JSON') };
  }
}

/** Every object a `kubectl get -o json` printed: the items of a List, or the one object. */
function kubeObjects(document: unknown): JsonObject[] {
  if (isObject(document) && Array.isArray(document.items)) return document.items.filter(isObject);
  return isObject(document) ? [document] : [];
}

function nameOf(object: JsonObject): string {
  return asString(at(object, 'metadata', 'name')) ?? '(unnamed)';
}

/** "namespace/name" for listings across namespaces. */
function qualifiedNameOf(object: JsonObject): string {
  const namespace = asString(at(object, 'metadata', 'namespace'));
  return namespace ? `${namespace}/${nameOf(object)}` : nameOf(object);
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

function conditionsIn(list: unknown): Condition[] {
  return asArray(list)
    .filter(isObject)
    .map((c) => ({ type: asString(c.type) ?? '', status: asString(c.status) ?? '', reason: asString(c.reason), message: asString(c.message) }));
}

function conditionOf(list: unknown, type: string): Condition | undefined {
  return conditionsIn(list).find((c) => c.type === type);
}

/** "Accepted=False (Invalid): message" for details and reasons. */
function describeCondition(condition: Condition): string {
  const reason = condition.reason ? ` (${condition.reason})` : '';
  const message = condition.message ? `: ${quote(condition.message)}` : '';
  return `${condition.type}=${condition.status}${reason}${message}`;
}

/** Reads every YAML document; undefined when any is broken. */
function readYamlDocuments(text: string): unknown[] | undefined {
  try {
    const documents = parseAllDocuments(text);
    if (!Array.isArray(documents)) return undefined;
    if (documents.some((document) => document.errors.length > 0)) return undefined;
    return documents.map((document) => document.toJS() as unknown);
  } catch {
    return undefined;
  }
}

// ---- talosApiAccess ---------------------------------------------------------------------------

interface TalosApiAccess {
  isEnabled: boolean;
  roles: string[];
  namespaces: string[];
}

/**
 * The Kubernetes-to-Talos API access a node's config grants. A KubeTalosAPIAccessConfig document
 * wins over machine.features.kubernetesTalosAPIAccess, as Talos's config container decides.
 */
function talosApiAccessIn(configDocuments: unknown[]): TalosApiAccess | undefined {
  const accessDocument = configDocuments.find((d) => isObject(d) && d.kind === 'KubeTalosAPIAccessConfig');
  if (isObject(accessDocument)) {
    return { isEnabled: true, roles: asArray(accessDocument.allowedRoles).map(String), namespaces: asArray(accessDocument.allowedKubernetesNamespaces).map(String) };
  }
  const machineConfig = configDocuments.find((d) => isObject(d) && isObject(d.machine));
  if (!machineConfig) return undefined;
  const feature = at(machineConfig, 'machine', 'features', 'kubernetesTalosAPIAccess');
  return {
    isEnabled: at(feature, 'enabled') === true,
    roles: asArray(at(feature, 'allowedRoles')).map(String),
    namespaces: asArray(at(feature, 'allowedKubernetesNamespaces')).map(String),
  };
}

/**
 * The config documents of one MachineConfig resource. talosctl prints `spec` as a block string
 * holding the multi-document config (Talos ≥ 1.8, siderolabs/talos#8980) or, from older nodes,
 * as a mapping; a bare config (piped through `yq .spec`) is its own spec.
 */
function configDocumentsOf(resource: JsonObject): unknown[] | undefined {
  const spec = resource.spec;
  if (typeof spec === 'string') return readYamlDocuments(spec);
  if (isObject(spec)) return [spec];
  return isObject(resource.machine) ? [resource] : undefined;
}

const talosApiAccess: OutputParser = (output, expect) => {
  const command = 'talosctl get machineconfig';
  const failure = describeToolFailure('talosctl', output);
  if (failure) return failure;
  if (!output.stdout.trim()) return unreadable(command, 'it printed nothing');
  const resources = readYamlDocuments(output.stdout);
  if (!resources) return unreadable(command, 'it is not YAML');
  // Talos lists two configs per node: the active one (id v1alpha1) and the one saved to disk (id
  // persistent), which differs after a staged apply. Only the active one grants access today.
  const configByNode = new Map<string, JsonObject>();
  for (const resource of resources.filter(isObject)) {
    const node = asString(resource.node) ?? expect.node ?? '<ip>';
    const isActive = at(resource, 'metadata', 'id') === ACTIVE_MACHINE_CONFIG_ID;
    const isKnownActive = at(configByNode.get(node), 'metadata', 'id') === ACTIVE_MACHINE_CONFIG_ID;
    if (!configByNode.has(node) || (isActive && !isKnownActive)) configByNode.set(node, resource);
  }
  if (configByNode.size === 0) return unreadable(command, 'it holds no MachineConfig resource');

  const details: string[] = [];
  const problems: { node: string; text: string }[] = [];
  for (const [node, resource] of configByNode) {
    const documents = configDocumentsOf(resource);
    if (!documents) return unreadable(command, `the machine config of node ${node} is not readable YAML`);
    const access = talosApiAccessIn(documents);
    if (!access) return unreadable(command, `node ${node} has no v1alpha1 machine config in it`);
    if (!access.isEnabled) {
      details.push(`${node}: kubernetesTalosAPIAccess not enabled`);
      problems.push({ node, text: 'Talos API access from Kubernetes is not enabled' });
      continue;
    }
    details.push(`${node}: enabled; roles ${access.roles.join(', ') || 'none'}; namespaces ${access.namespaces.join(', ') || 'none'}`);
    const missing = [
      ...REQUIRED_TALOS_ROLES.filter((role) => !access.roles.includes(role)).map((role) => `role ${role}`),
      ...REQUIRED_TALOS_NAMESPACES.filter((ns) => !access.namespaces.includes(ns)).map((ns) => `namespace ${ns}`),
    ];
    if (missing.length > 0) problems.push({ node, text: `Talos API access lacks ${listWords(missing)}` });
  }

  if (problems.length > 0) {
    const first = problems[0];
    const others = problems.length > 1 ? ` (${problems.length} nodes affected)` : '';
    return fail(`node ${first.node}: ${first.text}${others}; apply the config with task talos:apply-node IP=${first.node}`, details);
  }
  const nodes = configByNode.size > 1 ? ` on ${configByNode.size} nodes` : '';
  return pass(`Talos API access enabled for ${REQUIRED_TALOS_ROLES.join(', ')} in ${REQUIRED_TALOS_NAMESPACES.join(', ')}${nodes}`, details);
};

// ---- podsRunning ------------------------------------------------------------------------------

interface ContainerTrouble {
  /** kubectl's STATUS word for it: CrashLoopBackOff, ImagePullBackOff, OOMKilled, … */
  status: string;
  container: string;
  restarts: number;
}

/** The first container stuck waiting or terminated, the way kubectl's STATUS column finds it. */
function containerTrouble(statuses: unknown, isInit: boolean): ContainerTrouble | undefined {
  for (const status of asArray(statuses).filter(isObject)) {
    const waiting = asString(at(status, 'state', 'waiting', 'reason'));
    const terminated = at(status, 'state', 'terminated');
    const restarts = asNumber(status.restartCount) ?? 0;
    const container = asString(status.name) ?? '?';
    if (waiting && waiting !== 'PodInitializing' && waiting !== 'ContainerCreating') {
      return { status: isInit ? `Init:${waiting}` : waiting, container, restarts };
    }
    // A finished init container is what should happen; a finished app container in a Running pod is not.
    if (isObject(terminated) && (!isInit || asNumber(terminated.exitCode) !== 0)) {
      const why = asString(terminated.reason) ?? `exit code ${asNumber(terminated.exitCode) ?? '?'}`;
      return { status: isInit ? `Init:${why}` : why, container, restarts };
    }
  }
  return undefined;
}

const podsRunning: OutputParser = (output) => {
  const command = 'kubectl get pods';
  const failure = describeToolFailure('kubectl', output);
  if (failure) return failure;
  const read = readJson(output, command);
  if ('verdict' in read) return read.verdict;
  const pods = kubeObjects(read.value);
  if (pods.length === 0) return fail('no pods found: the app is not deployed (or its label or namespace differs)');

  const details: string[] = [];
  const problems: string[] = [];
  let runningCount = 0;
  for (const pod of pods) {
    const name = nameOf(pod);
    const phase = asString(at(pod, 'status', 'phase')) ?? 'Unknown';
    const statuses = asArray(at(pod, 'status', 'containerStatuses')).filter(isObject);
    const total = asArray(at(pod, 'spec', 'containers')).length || statuses.length;
    const ready = statuses.filter((s) => s.ready === true).length;
    const trouble = containerTrouble(at(pod, 'status', 'initContainerStatuses'), true) ?? containerTrouble(statuses, false);
    const restarts = trouble && trouble.restarts > 0 ? `, ${trouble.restarts} restarts` : '';
    details.push(`${name} ${ready}/${total} ${phase}${trouble ? ` (${trouble.status}${restarts})` : ''}`);

    // Pods of finished Jobs (tuppr's upgrade jobs, bucket setup) sit beside the app: done, not broken.
    if (phase === 'Succeeded') continue;
    if (at(pod, 'metadata', 'deletionTimestamp') !== undefined) {
      problems.push(`pod ${name} is terminating`);
    } else if (trouble) {
      problems.push(`pod ${name} ${trouble.status} (container ${trouble.container}${restarts})`);
    } else if (phase !== 'Running') {
      const scheduled = conditionOf(at(pod, 'status', 'conditions'), 'PodScheduled');
      const why = scheduled?.status === 'False' && scheduled.message ? `: ${quote(scheduled.message)}` : '';
      problems.push(`pod ${name} is ${phase}${why}`);
    } else if (ready < total) {
      problems.push(`pod ${name} is Running but ${ready}/${total} containers are ready`);
    } else {
      runningCount++;
    }
  }
  if (problems.length > 0) return fail(firstOf(problems), details);
  if (runningCount === 0) return fail('no running pods: only finished ones', details);
  return pass(`${runningCount} ${runningCount === 1 ? 'pod' : 'pods'} running, all containers ready`, details);
};

// ---- crdsPresent ------------------------------------------------------------------------------

const CRD_PREFIX = 'customresourcedefinition.apiextensions.k8s.io/';

const crdsPresent: OutputParser = (output, expect) => {
  const failure = describeToolFailure('kubectl', output);
  if (failure) return failure;
  const wanted = (expectation(expect, 'names') ?? '').split(',').map((n) => n.trim()).filter((n) => n.length > 0);
  if (wanted.length === 0) return error('this check names no CRDs to look for (expect.names is empty)');
  // `-o name` prints kind/name lines; the plain table starts each row with the name.
  const installed = new Set(
    output.stdout
      .split(/\r?\n/)
      .map((line) => line.trim().split(/\s+/)[0] ?? '')
      .filter((word) => word.length > 0 && word !== 'NAME')
      .map((word) => (word.startsWith(CRD_PREFIX) ? word.slice(CRD_PREFIX.length) : word)),
  );
  const missing = wanted.filter((name) => !installed.has(name));
  const details = wanted.map((name) => `${name} ${installed.has(name) ? 'installed' : 'missing'}`);
  if (missing.length > 0) return fail(`missing ${missing.length === 1 ? 'CRD' : 'CRDs'}: ${missing.join(', ')}`, details);
  return pass(`all ${wanted.length} CRDs installed`, details);
};

// ---- upgradesCompleted ------------------------------------------------------------------------

interface UpgradeKind {
  kind: 'TalosUpgrade' | 'KubernetesUpgrade';
  /** Where the target version sits in the spec (tuppr.home-operations.com/v1alpha1). */
  versionPath: string[];
  expectKey: 'talosVersion' | 'kubernetesVersion';
  variable: string;
}

const UPGRADE_KINDS: UpgradeKind[] = [
  { kind: 'TalosUpgrade', versionPath: ['spec', 'talos', 'version'], expectKey: 'talosVersion', variable: 'talos_version' },
  { kind: 'KubernetesUpgrade', versionPath: ['spec', 'kubernetes', 'version'], expectKey: 'kubernetesVersion', variable: 'kubernetes_version' },
];

/** The problem with one tuppr upgrade, or undefined when it completed at the expected version. */
function upgradeProblem(upgrade: JsonObject, kind: UpgradeKind, expected: string | undefined): string | undefined {
  const label = `${kind.kind} ${nameOf(upgrade)}`;
  const target = asString(at(upgrade, ...kind.versionPath));
  const phase = asString(at(upgrade, 'status', 'phase')) ?? '';
  const message = asString(at(upgrade, 'status', 'message'));
  const said = message ? `: ${quote(message)}` : '';

  if (expected && target && !isSameVersion(target, expected)) {
    return `${label} targets ${target} but ${kind.variable} is ${expected}: run task configure, commit, push and reconcile`;
  }
  const generation = asNumber(at(upgrade, 'metadata', 'generation'));
  const observed = asNumber(at(upgrade, 'status', 'observedGeneration'));
  if (generation !== undefined && observed !== undefined && observed < generation) {
    return `${label} changed and tuppr has not picked the change up yet`;
  }
  if (phase === 'Completed') {
    // KubernetesUpgrade reports the version it found running; a Completed run must have reached the target.
    const current = asString(at(upgrade, 'status', 'currentVersion'));
    if (expected && current && !isSameVersion(current, expected)) return `${label} is Completed but the cluster runs ${current}, not ${expected}`;
    return undefined;
  }
  if (phase === 'Failed') {
    const lastError = asString(at(upgrade, 'status', 'lastError'));
    const nodeError = asArray(at(upgrade, 'status', 'failedNodes')).filter(isObject).map((n) => asString(n.lastError)).find((e) => e);
    const why = message ?? lastError ?? nodeError;
    return `${label} Failed${why ? `: ${quote(why)}` : ''}`;
  }
  if (TUPPR_ACTIVE_PHASES.has(phase)) return `${label} is still in progress (${phase})${said}`;
  if (phase === 'Pending') return `${label} is Pending${said}`;
  if (phase === 'MaintenanceWindow') {
    const next = asString(at(upgrade, 'status', 'nextMaintenanceWindow'));
    return `${label} is waiting for its maintenance window${next ? ` (next: ${next})` : ''}`;
  }
  if (!phase) return `${label} has no status yet: tuppr has not processed it (is the tuppr controller running?)`;
  return `${label} is in phase ${phase}${said}`;
}

function describeUpgrade(upgrade: JsonObject, kind: UpgradeKind): string {
  const target = asString(at(upgrade, ...kind.versionPath)) ?? 'no version';
  const phase = asString(at(upgrade, 'status', 'phase')) || 'no status';
  const current = asString(at(upgrade, 'status', 'currentVersion'));
  const completed = asArray(at(upgrade, 'status', 'completedNodes')).length;
  const failedNodes = asArray(at(upgrade, 'status', 'failedNodes'))
    .filter(isObject)
    .map((n) => `${asString(n.nodeName) ?? '?'}${asString(n.lastError) ? ` (${quote(asString(n.lastError) ?? '')})` : ''}`);
  const parts = [`${kind.kind} ${nameOf(upgrade)}: ${phase}, target ${target}`];
  if (current) parts.push(`current ${current}`);
  if (completed > 0) parts.push(`${completed} nodes done`);
  if (failedNodes.length > 0) parts.push(`failed: ${failedNodes.join('; ')}`);
  return parts.join(', ');
}

const upgradesCompleted: OutputParser = (output, expect) => {
  const failure = describeToolFailure('kubectl', output);
  if (failure) return failure;
  // An expectation asked for but left blank means cluster.yaml lacks the version: no verdict on the target is possible.
  const unset = UPGRADE_KINDS.find((kind) => kind.expectKey in expect && !expectation(expect, kind.expectKey));
  if (unset) return error(`${unset.variable} is not set in cluster.yaml, so the upgrade target cannot be checked`);
  const read = readJson(output, 'kubectl get talosupgrade,kubernetesupgrade');
  if ('verdict' in read) return read.verdict;
  const objects = kubeObjects(read.value);

  const details: string[] = [];
  const problems: string[] = [];
  const summaries: string[] = [];
  for (const kind of UPGRADE_KINDS) {
    const upgrades = objects.filter((o) => o.kind === kind.kind);
    const expected = expectation(expect, kind.expectKey);
    if (upgrades.length === 0) {
      problems.push(`no ${kind.kind} found: is the tuppr-upgrades Kustomization applied?`);
      continue;
    }
    for (const upgrade of upgrades) {
      details.push(describeUpgrade(upgrade, kind));
      const problem = upgradeProblem(upgrade, kind, expected);
      if (problem) problems.push(problem);
      else summaries.push(`${kind.kind} ${nameOf(upgrade)} Completed (${asString(at(upgrade, ...kind.versionPath)) ?? 'no version'})`);
    }
  }
  if (problems.length > 0) return fail(firstOf(problems), details);
  return pass(summaries.join('; '), details);
};

// ---- nodesReady -------------------------------------------------------------------------------

const nodesReady: OutputParser = (output) => {
  const failure = describeToolFailure('kubectl', output);
  if (failure) return failure;
  const read = readJson(output, 'kubectl get nodes');
  if ('verdict' in read) return read.verdict;
  const nodes = kubeObjects(read.value);
  if (nodes.length === 0) return fail('the cluster lists no nodes');

  const details: string[] = [];
  const problems: string[] = [];
  for (const node of nodes) {
    const name = nameOf(node);
    const ready = conditionOf(at(node, 'status', 'conditions'), 'Ready');
    const kubelet = asString(at(node, 'status', 'nodeInfo', 'kubeletVersion'));
    const os = asString(at(node, 'status', 'nodeInfo', 'osImage'));
    const about = [kubelet, os, at(node, 'spec', 'unschedulable') === true ? 'cordoned' : undefined].filter((v) => v).join(', ');
    if (ready?.status === 'True') {
      details.push(`${name} Ready${about ? ` (${about})` : ''}`);
      continue;
    }
    const state = ready ? (ready.status === 'Unknown' ? 'NotReady (status Unknown)' : 'NotReady') : 'has no Ready condition';
    const why = ready?.message ? `: ${quote(ready.message)}` : '';
    details.push(`${name} ${state}${why}`);
    problems.push(`node ${name} ${state}${why}`);
  }
  if (problems.length > 0) return fail(firstOf(problems), details);
  return pass(`all ${nodes.length} ${nodes.length === 1 ? 'node' : 'nodes'} Ready`, details);
};

// ---- talosVersion -----------------------------------------------------------------------------

/** The NODE/Tag pairs of the Server: section of `talosctl version` (Client: comes first). */
function talosServerTags(text: string): { node: string; tag?: string }[] {
  const serverStart = text.search(/^Server:\s*$/m);
  if (serverStart < 0) return [];
  const servers: { node: string; tag?: string }[] = [];
  for (const line of text.slice(serverStart).split(/\r?\n/)) {
    const node = /^\s*NODE:\s*(\S+)/.exec(line);
    if (node) {
      servers.push({ node: node[1] });
      continue;
    }
    const tag = /^\s*Tag:\s*(\S+)/.exec(line);
    if (tag && servers.length > 0 && servers[servers.length - 1].tag === undefined) servers[servers.length - 1].tag = tag[1];
  }
  return servers;
}

const talosVersion: OutputParser = (output, expect) => {
  const failure = describeToolFailure('talosctl', output);
  if (failure) return failure;
  const expected = expectation(expect, 'talosVersion');
  if (!expected) return error('this check has no expected Talos version (set talos_version in cluster.yaml)');
  const servers = talosServerTags(output.stdout);
  if (servers.length === 0) return unreadable('talosctl version', 'it has no Server section with a NODE');
  const details = servers.map((s) => `${s.node}: ${s.tag ?? 'no Tag'}`);
  const behind = servers.filter((s) => !s.tag || !isSameVersion(s.tag, expected));
  if (behind.length > 0) return fail(firstOf(behind.map((s) => `node ${s.node} runs Talos ${s.tag ?? '(no Tag printed)'}, expected ${expected}`)), details);
  return pass(`Talos ${servers[0].tag ?? expected} on ${servers.length === 1 ? `node ${servers[0].node}` : `all ${servers.length} nodes`}`, details);
};

// ---- kubernetesServerVersion ------------------------------------------------------------------

const kubernetesServerVersion: OutputParser = (output, expect) => {
  const failure = describeToolFailure('kubectl', output);
  if (failure) return failure;
  const expected = expectation(expect, 'kubernetesVersion');
  if (!expected) return error('this check has no expected Kubernetes version (set kubernetes_version in cluster.yaml)');
  const read = readJson(output, 'kubectl version');
  if ('verdict' in read) return read.verdict;
  const server = asString(at(read.value, 'serverVersion', 'gitVersion'));
  const client = asString(at(read.value, 'clientVersion', 'gitVersion'));
  const details = [client ? `client ${client}` : undefined, server ? `server ${server}` : undefined].filter((d): d is string => d !== undefined);
  if (!server) return unreadable('kubectl version', 'it has no serverVersion (was the cluster reached?)');
  if (!isSameVersion(server, expected)) return fail(`the API server runs ${server}, expected ${expected}`, details);
  return pass(`the API server runs ${server}`, details);
};

// ---- jobCompleted -----------------------------------------------------------------------------

function jobProblem(job: JsonObject): { problem?: string; detail: string } {
  const name = nameOf(job);
  const conditions = at(job, 'status', 'conditions');
  const succeeded = asNumber(at(job, 'status', 'succeeded')) ?? 0;
  const active = asNumber(at(job, 'status', 'active')) ?? 0;
  const failedPods = asNumber(at(job, 'status', 'failed')) ?? 0;
  const completions = asNumber(at(job, 'spec', 'completions')) ?? 1;
  const detail = `${name} ${succeeded}/${completions} succeeded, ${active} active, ${failedPods} failed`;

  const failed = conditionOf(conditions, 'Failed');
  if (failed?.status === 'True') {
    const why = [failed.reason, failed.message ? quote(failed.message) : undefined].filter((v) => v).join(': ');
    return { problem: `job ${name} failed${why ? `: ${why}` : ''}`, detail };
  }
  const complete = conditionOf(conditions, 'Complete');
  if (complete?.status === 'True' || succeeded >= completions) return { detail };
  if (conditionOf(conditions, 'Suspended')?.status === 'True' || at(job, 'spec', 'suspend') === true) return { problem: `job ${name} is suspended`, detail };
  if (active > 0) return { problem: `job ${name} is still running (${active} active ${active === 1 ? 'pod' : 'pods'}, ${succeeded}/${completions} done)`, detail };
  return { problem: `job ${name} has not completed (${succeeded}/${completions} succeeded, no pod running)`, detail };
}

const jobCompleted: OutputParser = (output) => {
  const failure = describeToolFailure('kubectl', output);
  if (failure) return failure;
  const read = readJson(output, 'kubectl get job');
  if ('verdict' in read) return read.verdict;
  const jobs = kubeObjects(read.value);
  if (jobs.length === 0) return fail('no job found');
  const results = jobs.map(jobProblem);
  const problems = results.map((r) => r.problem).filter((p): p is string => p !== undefined);
  const details = results.map((r) => r.detail);
  if (problems.length > 0) return fail(firstOf(problems), details);
  return pass(jobs.length === 1 ? `job ${nameOf(jobs[0])} completed` : `all ${jobs.length} jobs completed`, details);
};

// ---- cronJobActive ----------------------------------------------------------------------------

const cronJobActive: OutputParser = (output, expect) => {
  const failure = describeToolFailure('kubectl', output);
  if (failure) return failure;
  const read = readJson(output, 'kubectl get cronjob');
  if ('verdict' in read) return read.verdict;
  const cronJobs = kubeObjects(read.value);
  if (cronJobs.length === 0) return fail('no cronjob found');
  const expectedSchedule = expectation(expect, 'schedule');

  const details: string[] = [];
  const problems: string[] = [];
  for (const cronJob of cronJobs) {
    const name = nameOf(cronJob);
    const schedule = asString(at(cronJob, 'spec', 'schedule')) ?? '';
    const isSuspended = at(cronJob, 'spec', 'suspend') === true;
    const lastSchedule = asString(at(cronJob, 'status', 'lastScheduleTime'));
    const lastSuccess = asString(at(cronJob, 'status', 'lastSuccessfulTime'));
    const activeJobs = asArray(at(cronJob, 'status', 'active')).length;
    const facts = [
      `${name}: schedule ${schedule || '(none)'}`,
      isSuspended ? 'suspended' : 'not suspended',
      lastSchedule ? `last run ${lastSchedule}` : 'never run',
      lastSuccess ? `last success ${lastSuccess}` : undefined,
      activeJobs > 0 ? `${activeJobs} running` : undefined,
    ];
    details.push(facts.filter((fact) => fact !== undefined).join(', '));
    if (isSuspended) problems.push(`cronjob ${name} is suspended`);
    else if (expectedSchedule && schedule.trim() !== expectedSchedule) problems.push(`cronjob ${name} runs on "${schedule}", expected "${expectedSchedule}"`);
  }
  if (problems.length > 0) return fail(firstOf(problems), details);
  const only = cronJobs.length === 1 ? cronJobs[0] : undefined;
  return pass(only ? `cronjob ${nameOf(only)} active, schedule ${asString(at(only, 'spec', 'schedule')) ?? '?'}` : `all ${cronJobs.length} cronjobs active`, details);
};

// ---- policyAccepted ---------------------------------------------------------------------------

/** "Gateway network/envoy-external (https)" for a Gateway API parent or ancestor reference. */
function describeParentRef(reference: unknown, fallbackNamespace?: string): string {
  const kind = asString(at(reference, 'kind')) ?? 'Gateway';
  const namespace = asString(at(reference, 'namespace')) ?? fallbackNamespace;
  const name = asString(at(reference, 'name')) ?? '?';
  const section = asString(at(reference, 'sectionName'));
  return `${kind} ${namespace ? `${namespace}/` : ''}${name}${section ? ` (${section})` : ''}`;
}

const policyAccepted: OutputParser = (output) => {
  const failure = describeToolFailure('kubectl', output);
  if (failure) return failure;
  const read = readJson(output, 'kubectl get securitypolicy');
  if ('verdict' in read) return read.verdict;
  const policies = kubeObjects(read.value);
  if (policies.length === 0) return fail('no SecurityPolicy found');

  const details: string[] = [];
  const problems: string[] = [];
  for (const policy of policies) {
    const name = nameOf(policy);
    const ancestors = asArray(at(policy, 'status', 'ancestors')).filter(isObject);
    if (ancestors.length === 0) {
      details.push(`${name}: no ancestors in status`);
      problems.push(`SecurityPolicy ${name} is attached to nothing yet: no route or gateway reports it (do the target routes carry its label?)`);
      continue;
    }
    const namespace = asString(at(policy, 'metadata', 'namespace'));
    let isAccepted = false;
    let isRejected = false;
    for (const ancestor of ancestors) {
      const where = describeParentRef(ancestor.ancestorRef, namespace);
      const accepted = conditionOf(ancestor.conditions, 'Accepted');
      details.push(`${name} on ${where}: ${accepted ? describeCondition(accepted) : 'no Accepted condition'}`);
      if (accepted?.status === 'True') isAccepted = true;
      if (accepted?.status === 'False') {
        isRejected = true;
        problems.push(`SecurityPolicy ${name} not accepted by ${where}${accepted.message ? `: ${quote(accepted.message)}` : ''}`);
      }
    }
    if (!isAccepted && !isRejected) problems.push(`SecurityPolicy ${name} has no Accepted=True condition yet`);
  }
  if (problems.length > 0) return fail(firstOf(problems), details);
  return pass(policies.length === 1 ? `SecurityPolicy ${nameOf(policies[0])} accepted` : `all ${policies.length} SecurityPolicies accepted`, details);
};

// ---- routesAccepted ---------------------------------------------------------------------------

const routesAccepted: OutputParser = (output) => {
  const failure = describeToolFailure('kubectl', output);
  if (failure) return failure;
  const read = readJson(output, 'kubectl get grpcroute');
  if ('verdict' in read) return read.verdict;
  const routes = kubeObjects(read.value);
  if (routes.length === 0) return fail('no GRPCRoute found: no gRPC service is routed yet');

  const details: string[] = [];
  const problems: string[] = [];
  for (const route of routes) {
    const name = qualifiedNameOf(route);
    const namespace = asString(at(route, 'metadata', 'namespace'));
    const parents = asArray(at(route, 'status', 'parents')).filter(isObject);
    if (parents.length === 0) {
      details.push(`${name}: no parent status`);
      problems.push(`GRPCRoute ${name} has no status from any gateway (check its parentRefs and the listener)`);
      continue;
    }
    for (const parent of parents) {
      const where = describeParentRef(parent.parentRef, namespace);
      const accepted = conditionOf(parent.conditions, 'Accepted');
      const resolved = conditionOf(parent.conditions, 'ResolvedRefs');
      details.push(`${name} on ${where}: ${accepted ? `Accepted=${accepted.status}` : 'no Accepted'}, ${resolved ? `ResolvedRefs=${resolved.status}` : 'no ResolvedRefs'}`);
      if (accepted?.status !== 'True') problems.push(`GRPCRoute ${name} not accepted by ${where}${accepted?.message ? `: ${quote(accepted.message)}` : ''}`);
      else if (resolved?.status !== 'True') problems.push(`GRPCRoute ${name} has unresolved references${resolved?.message ? `: ${quote(resolved.message)}` : ''}`);
    }
  }
  if (problems.length > 0) return fail(firstOf(problems), details);
  return pass(`${routes.length} ${routes.length === 1 ? 'GRPCRoute' : 'GRPCRoutes'} accepted with all references resolved`, details);
};

// ---- resourceReady ----------------------------------------------------------------------------

const resourceReady: OutputParser = (output) => {
  const failure = describeToolFailure('kubectl', output);
  if (failure) return failure;
  const read = readJson(output, 'kubectl get');
  if ('verdict' in read) return read.verdict;
  const resources = kubeObjects(read.value);
  if (resources.length === 0) return fail('no resource found');

  const details: string[] = [];
  const problems: string[] = [];
  for (const resource of resources) {
    const label = `${asString(resource.kind) ?? 'resource'} ${nameOf(resource)}`;
    const conditions = conditionsIn(at(resource, 'status', 'conditions'));
    details.push(`${label}: ${conditions.length > 0 ? conditions.map(describeCondition).join('; ') : 'no conditions'}`);
    const ready = conditions.find((c) => c.type === 'Ready');
    if (ready?.status === 'True') continue;
    // Operators such as Keycloak's put the cause in a separate HasErrors condition.
    const errors = conditions.find((c) => c.type === 'HasErrors' && c.status === 'True' && c.message);
    const why = errors?.message ?? ready?.message;
    problems.push(ready ? `${label} is not Ready${why ? `: ${quote(why)}` : ''}` : `${label} reports no Ready condition yet`);
  }
  if (problems.length > 0) return fail(firstOf(problems), details);
  return pass(resources.length === 1 ? `${asString(resources[0].kind) ?? 'resource'} ${nameOf(resources[0])} is Ready` : `all ${resources.length} resources Ready`, details);
};

// ---- oidcDiscovery, jwksKeys ------------------------------------------------------------------

const oidcDiscovery: OutputParser = (output, expect) => {
  const failure = describeToolFailure('curl', output);
  if (failure) return failure;
  const read = readJson(output, 'the OpenID discovery request');
  if ('verdict' in read) return read.verdict;
  const issuer = asString(at(read.value, 'issuer'));
  if (!issuer) return fail('the answer is not an OpenID discovery document: it has no issuer');
  const details = ['issuer', 'jwks_uri', 'token_endpoint'].flatMap((key) => {
    const value = asString(at(read.value, key));
    return value ? [`${key}: ${value}`] : [];
  });
  const expected = expectation(expect, 'issuer');
  if (!expected) return pass(`issuer ${issuer}`, details);
  if (issuer === expected) return pass(`issuer is ${issuer}`, details);
  // Token validation compares iss byte for byte, so even a trailing slash breaks it.
  const onlySlash = issuer.replace(/\/+$/, '') === expected.replace(/\/+$/, '');
  return fail(`issuer is ${issuer}, expected ${expected}${onlySlash ? ' (they differ only by a trailing slash, which still breaks token validation)' : ''}`, details);
};

const jwksKeys: OutputParser = (output) => {
  const failure = describeToolFailure('curl', output);
  if (failure) return failure;
  const read = readJson(output, 'the JWKS request');
  if ('verdict' in read) return read.verdict;
  const keys = at(read.value, 'keys');
  if (!Array.isArray(keys)) return fail('the answer is not a JSON Web Key Set: it has no keys array');
  if (keys.length === 0) return fail('the JSON Web Key Set is empty: the realm publishes no signing keys');
  const details = keys.filter(isObject).map((key) =>
    [asString(key.kid) ? `kid ${asString(key.kid)}` : 'no kid', asString(key.kty), asString(key.alg), asString(key.use)].filter((p) => p).join(' '),
  );
  const algorithms = [...new Set(keys.filter(isObject).map((key) => asString(key.alg)).filter((a): a is string => a !== undefined))];
  return pass(`${keys.length} ${keys.length === 1 ? 'key' : 'keys'} published${algorithms.length > 0 ? ` (${algorithms.join(', ')})` : ''}`, details);
};

// ---- exitCode ---------------------------------------------------------------------------------

const exitCode: OutputParser = (output) => {
  if (output.exitCode === 0) return pass('the command succeeded');
  if (output.exitCode === null) return describeToolFailure('the command', output) ?? error('the command did not finish');
  const line = mainErrorLine(output.stderr);
  return fail(`the command exited with code ${output.exitCode}${line ? `: ${quote(line)}` : ''}`);
};

// ---- Registry ---------------------------------------------------------------------------------

/**
 * Every parser by the id a verify step names in its `parser` field.
 *
 * @example
 * OUTPUT_PARSERS.nodesReady({ stdout: '{"items":[]}', stderr: '', exitCode: 0 }, {})
 * // → { status: 'fail', reason: 'the cluster lists no nodes', details: [] }
 */
export const OUTPUT_PARSERS: Readonly<Record<string, OutputParser>> = Object.freeze({
  talosApiAccess,
  podsRunning,
  crdsPresent,
  upgradesCompleted,
  nodesReady,
  talosVersion,
  kubernetesServerVersion,
  jobCompleted,
  cronJobActive,
  policyAccepted,
  routesAccepted,
  resourceReady,
  oidcDiscovery,
  jwksKeys,
  exitCode,
});

/**
 * Runs the named parser on one run's output. Unknown parsers and parser bugs come back as
 * status 'error', never as an exception.
 *
 * @example
 * parseCheckOutput('exitCode', { stdout: '', stderr: '', exitCode: 0 }, {})
 * // → { status: 'pass', reason: 'the command succeeded', details: [] }
 */
export function parseCheckOutput(parserId: string, output: CheckOutput, expect: Record<string, string> = {}): CheckVerdict {
  const parser = Object.prototype.hasOwnProperty.call(OUTPUT_PARSERS, parserId) ? OUTPUT_PARSERS[parserId] : undefined;
  if (!parser) return error(`unknown output parser "${parserId}"`);
  try {
    return parser(output, expect);
  } catch {
    // A bug here must not take the tree down; the message is left out because it may quote tool output.
    return error(`the ${parserId} parser failed on this output`);
  }
}
