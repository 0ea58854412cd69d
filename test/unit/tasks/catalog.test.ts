// The remaining-work catalog as data: catalog.json must match schemas/task-catalog.schema.json, and
// its cross references must hold (dependencies, shared steps, parsers, scaffolds, cluster.yaml keys,
// placeholders). The seed's priorities are pinned here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { CATALOG, CATALOG_FILE, itemsInDependencyOrder, resolveCatalog } from '../../../server/src/engines/tasks/catalog';
import type { Catalog, Condition } from '../../../server/src/engines/tasks/catalogTypes';
import { OUTPUT_PARSERS } from '../../../server/src/engines/tasks/outputParsers';
import { SCAFFOLD_IDS } from '../../../server/src/engines/tasks/scaffolds';
import { SCHEMA_KEYS_BY_SCAFFOLD } from '../../../server/src/engines/tasks/cueSchemaEdits';

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
const catalogSchema = JSON.parse(readFileSync(join(REPO_ROOT, 'schemas', 'task-catalog.schema.json'), 'utf8')) as object;
const clusterSchema = JSON.parse(readFileSync(join(REPO_ROOT, 'schemas', 'cluster.schema.json'), 'utf8')) as { properties: Record<string, unknown> };

function validate(data: unknown): string[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const check = ajv.compile(catalogSchema);
  return check(data) ? [] : (check.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
}

function conditionsOf(catalog: Catalog): Condition[] {
  const out: Condition[] = [];
  const visit = (condition: Condition): void => {
    out.push(condition);
    if (condition.kind === 'any') condition.of.forEach(visit);
  };
  for (const item of catalog.items) {
    item.requirements.forEach(visit);
    for (const dependency of item.dependencies) {
      if (dependency.satisfiedBy) visit(dependency.satisfiedBy);
      if (dependency.appliesWhen) visit(dependency.appliesWhen);
    }
  }
  return out;
}

test('catalog.json matches its schema', () => {
  assert.deepEqual(validate(CATALOG_FILE), []);
});

test('the schema rejects a malformed catalog (it is not vacuous)', () => {
  const broken = structuredClone(CATALOG_FILE) as { items: Record<string, unknown>[] };
  broken.items[0].priority = 'urgent';
  delete broken.items[1].requirements;
  (broken.items[2].steps as Record<string, unknown>[])[1] = { id: 'x', kind: 'verify', title: 'no command' };
  const errors = validate(broken);
  assert.ok(errors.some((e) => e.startsWith('/items/0/priority')), errors.join('\n'));
  assert.ok(errors.some((e) => e.startsWith('/items/1') && e.includes('requirements')), errors.join('\n'));
  assert.ok(errors.some((e) => e.startsWith('/items/2/steps/1')), errors.join('\n'));
});

test('the seed order: Talos Backup and tuppr High, VolSync Medium, JWT Low, the rest Future', () => {
  const byPriority = (priority: string) => CATALOG.items.filter((item) => item.priority === priority).map((item) => item.id);
  assert.deepEqual(byPriority('high'), ['talos-backup', 'tuppr']);
  assert.deepEqual(byPriority('medium'), ['volsync']);
  assert.deepEqual(byPriority('low'), ['jwt-security-policy']);
  assert.deepEqual(byPriority('future'), [
    'cnpg', 'keycloak', 'oidc-sso', 'oauth2-proxy', 'grpc-routing', 'bjw-s-repository', 'cluster-secret-store',
    'otel-metrics-sink', 'tcp-tls-passthrough', 'merged-gateways',
  ]);
  assert.deepEqual(CATALOG.items.filter((item) => item.isGuide).map((item) => item.id), ['cnpg', 'keycloak', 'merged-gateways']);
});

test('ids are unique, dependencies name items and form no cycle (CNPG -> Keycloak -> JWT/OIDC)', () => {
  const ids = CATALOG.items.map((item) => item.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const item of CATALOG.items) {
    const stepIds = item.steps.map((step) => step.id);
    assert.equal(new Set(stepIds).size, stepIds.length, `${item.id}: duplicate step ids`);
    for (const dependency of item.dependencies) if (dependency.item) assert.ok(ids.includes(dependency.item), `${item.id} depends on unknown ${dependency.item}`);
  }
  const order = itemsInDependencyOrder(CATALOG).map((item) => item.id);
  assert.ok(order.indexOf('cnpg') < order.indexOf('keycloak'));
  assert.ok(order.indexOf('keycloak') < order.indexOf('jwt-security-policy'));
  assert.ok(order.indexOf('keycloak') < order.indexOf('oidc-sso'));
  // A cycle would leave an item before one it depends on.
  for (const item of CATALOG.items) {
    for (const dependency of item.dependencies) if (dependency.item) assert.ok(order.indexOf(dependency.item) < order.indexOf(item.id), `${dependency.item} before ${item.id}`);
  }
});

test('an unknown shared step is refused when the catalog is resolved', () => {
  assert.throws(() => resolveCatalog({ version: 1, sharedSteps: {}, items: [{ ...CATALOG.items[0], steps: [{ shared: 'nope' }] }] }), /unknown shared step nope/);
});

test('every verify step names a parser that exists; every scaffold step a scaffold that exists', () => {
  for (const item of CATALOG.items) {
    for (const step of item.steps) {
      if (step.kind === 'verify') assert.ok(step.parser in OUTPUT_PARSERS, `${item.id}/${step.id}: parser ${step.parser}`);
      if (step.kind === 'scaffold') assert.ok(SCAFFOLD_IDS.includes(step.scaffold), `${item.id}/${step.id}: scaffold ${step.scaffold}`);
    }
  }
});

test('every key a step asks for or a condition reads exists in the bundled cluster.yaml schema', () => {
  const keys = new Set<string>();
  for (const item of CATALOG.items) for (const step of item.steps) if (step.kind === 'configure') step.variables.forEach((variable) => keys.add(variable.key));
  for (const condition of conditionsOf(CATALOG)) if (condition.kind === 'variablesSet') condition.keys.forEach((key) => keys.add(key));
  const missing = [...keys].filter((key) => !(key in clusterSchema.properties));
  assert.deepEqual(missing, []);
});

test('a configure step asks only for keys the scaffold of its item declares in the CUE schema', () => {
  for (const item of CATALOG.items) {
    const scaffold = item.steps.find((step) => step.kind === 'scaffold');
    const group = scaffold?.kind === 'scaffold' ? SCHEMA_KEYS_BY_SCAFFOLD[scaffold.scaffold] : undefined;
    if (!group) continue;
    const declared = new Set(group.keys.map((key) => key.name));
    for (const step of item.steps) {
      if (step.kind !== 'configure') continue;
      const undeclared = step.variables.map((variable) => variable.key).filter((key) => !declared.has(key) && !key.startsWith('oidc_'));
      assert.deepEqual(undeclared, [], `${item.id}/${step.id}`);
    }
  }
});

test('placeholders in commands name cluster.yaml keys or node fields', () => {
  const known = new Set(Object.keys(clusterSchema.properties));
  for (const item of CATALOG.items) {
    for (const step of item.steps) {
      const texts = step.kind === 'run' || step.kind === 'verify' ? [...step.command, ...Object.values(step.kind === 'verify' ? (step.expect ?? {}) : {})] : [];
      for (const text of texts) {
        for (const match of text.matchAll(/\{([a-z_][a-z0-9_.[\]]*)(\|[^}]*)?\}/g)) {
          const name = match[1];
          const ok = known.has(name) || /^nodes\[\d+\]\.[a-z_]+$/.test(name) || /^controller\.[a-z_]+$/.test(name);
          assert.ok(ok, `${item.id}/${step.id}: unknown placeholder {${name}}`);
        }
      }
    }
  }
});

test('the tuppr item has the six cluster checks and needs all of them to be done', () => {
  const tuppr = CATALOG.items.find((item) => item.id === 'tuppr')!;
  const checks = tuppr.steps.filter((step) => step.kind === 'verify').map((step) => step.id);
  assert.deepEqual(checks, ['talos-api', 'pods', 'crds', 'upgrades', 'nodes', 'versions']);
  const passed = tuppr.requirements.find((condition) => condition.kind === 'stepsPassed');
  assert.deepEqual(passed?.kind === 'stepsPassed' ? passed.steps : [], checks);
});
