// The "scaffold" steps of the remaining-work catalog: the templates an item needs, written in the
// workspace's own Jinja delimiters, and the gated entries that wire them into the kustomizations.
// Plans only (reads through a FileReader, writes nothing); never plans a silent overwrite.
import * as path from 'node:path';
import type { FileReader } from '../../host/fileReader';
import { lexTemplate } from '../../services/jinja/lexer';
import type { JinjaSyntax } from '../../services/jinja/syntax';
import { BJW_S_REPOSITORY_PATH, BJW_S_REPOSITORIES_KUSTOMIZATION, bjwsRepositoriesKustomization, bjwsRepositoryTemplates } from './scaffoldBodies/bjwsRepository';
import { CNPG_GATE, cnpgTemplates } from './scaffoldBodies/cnpg';
import { CLUSTER_SECRET_STORE_ENTRY, clusterSecretStoreTemplates, EXTERNAL_SECRETS_DEFAULT_KUSTOMIZATION } from './scaffoldBodies/clusterSecretStore';
import { GRPC_GATE, grpcListenerLines, grpcRouteTemplates } from './scaffoldBodies/grpcRoute';
import { KEYCLOAK_GATE, keycloakTemplates } from './scaffoldBodies/keycloak';
import { OAUTH2_PROXY_GATE, oauth2ProxyTemplates } from './scaffoldBodies/oauth2Proxy';
import { addCueSchemaKeys, SCHEMA_KEYS_BY_SCAFFOLD } from './cueSchemaEdits';
import { storageNamespaceTemplates, VOLSYNC_GATE, VOLSYNC_BUCKET_EXPRESSION, volsyncTemplates } from './scaffoldBodies/volsync';

export const SCAFFOLD_IDS: readonly string[] = Object.freeze(['volsync', 'cnpg', 'keycloak', 'grpc-route', 'oauth2-proxy', 'bjw-s-repository', 'cluster-secret-store']);

export interface ScaffoldContext {
  root: string;
  reader: FileReader;
  syntax: JinjaSyntax;
  /** Absolute: the last makejinja input (e.g. <root>/templates/config), the one upstream templates live in. */
  templateDir: string;
}

export interface ScaffoldFileChange {
  /** Absolute. */
  path: string;
  kind: 'create' | 'edit';
  newText: string;
  description: string;
  /** A create over an existing file with other content: the caller must ask before writing. */
  conflictsWithExisting?: boolean;
}

export interface ScaffoldPlan {
  changes: ScaffoldFileChange[];
  /** Files already as they should be (absolute). */
  upToDate: string[];
  notes: string[];
}

/** Writes template syntax in the workspace's delimiters (never hard-coded ones). */
export interface TemplateWriter {
  /** `#% statement %#`; with trimLeft `#%- statement %#` (strips the whitespace before the tag). */
  block(statement: string, options?: { trimLeft?: boolean }): string;
  /** `#{ expression }#` */
  value(expression: string): string;
  /** `#| text #|` */
  comment(text: string): string;
  /** The body inside `if gate` ... `endif`: a false gate renders the file empty, so makejinja writes nothing. */
  gated(gate: string, body: string): string;
}

/** A template a scaffold creates; `path` is relative to the template folder, '/'-separated. */
export interface ScaffoldTemplate {
  path: string;
  description: string;
  body: string;
}

/**
 * The writer for a syntax. Example: with cluster-template's delimiters,
 * `templateWriter(syntax).block('endif')` is `#% endif %#`; with Jinja's defaults `{% endif %}`.
 */
export function templateWriter(syntax: JinjaSyntax): TemplateWriter {
  const block = (statement: string, options?: { trimLeft?: boolean }): string => `${syntax.blockStart}${options?.trimLeft ? '-' : ''} ${statement} ${syntax.blockEnd}`;
  return {
    block,
    value: (expression) => `${syntax.variableStart} ${expression} ${syntax.variableEnd}`,
    comment: (text) => `${syntax.commentStart} ${text} ${syntax.commentEnd}`,
    gated: (gate, body) => `${block(`if ${gate}`)}\n${body}${block('endif')}\n`,
  };
}

/**
 * What scaffold `id` would create and edit in the workspace. Example:
 * `await planScaffold('volsync', { root: '/ws', reader, syntax, templateDir: '/ws/templates/config' })`
 * gives creates for `kubernetes/apps/storage/volsync/**` and edits of the storage and apps
 * kustomizations; planned again after applying, it gives no changes.
 */
export async function planScaffold(id: string, ctx: ScaffoldContext): Promise<ScaffoldPlan> {
  const planner = PLANNERS[id];
  if (!planner) throw new Error(`unknown scaffold "${id}"; known: ${SCAFFOLD_IDS.join(', ')}`);
  const builder = new PlanBuilder(ctx);
  await planner(builder, templateWriter(ctx.syntax));
  return withSchemaKeys(id, builder.finish(), ctx);
}

/** The workspace's closed schema of cluster.yaml, which `cue vet` checks in `task configure`. */
export const CUE_SCHEMA_PATH = '.taskfiles/template/resources/cluster.schema.cue';

/**
 * Declares the keys the item's variables need in the workspace's CUE schema (cue vet rejects an
 * undeclared key); without a CUE schema, a note names them.
 */
async function withSchemaKeys(id: string, plan: ScaffoldPlan, ctx: ScaffoldContext): Promise<ScaffoldPlan> {
  const group = SCHEMA_KEYS_BY_SCAFFOLD[id];
  if (!group) return plan;
  const schemaPath = path.join(ctx.root, CUE_SCHEMA_PATH);
  const text = await ctx.reader.readText(schemaPath);
  if (text === undefined) {
    plan.notes.push(`No ${CUE_SCHEMA_PATH} here: declare ${group.keys.map((key) => key.name).join(', ')} in your schema (then \`task template:schema\`) or \`cue vet\` rejects them.`);
    return plan;
  }
  const updated = addCueSchemaKeys(text, group);
  if (updated === undefined) plan.upToDate.push(schemaPath);
  else plan.changes.push({ path: schemaPath, kind: 'edit', newText: updated, description: `declare the ${group.comment} keys in cluster.schema.cue (cue vet rejects undeclared keys)` });
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Per scaffold

const APPS_KUSTOMIZATION = 'kubernetes/apps/kustomization.yaml.j2';
const STORAGE_KUSTOMIZATION = 'kubernetes/apps/storage/kustomization.yaml.j2';
const STORAGE_NAMESPACE = 'kubernetes/apps/storage/namespace.yaml.j2';
const RUSTFS_SETUP_JOB = 'kubernetes/apps/storage/rustfs/setup/job-setup.yaml.j2';
const NETWORK_KUSTOMIZATION = 'kubernetes/apps/network/kustomization.yaml.j2';
const ENVOY_APP_KUSTOMIZATION = 'kubernetes/apps/network/envoy-gateway/app/kustomization.yaml.j2';
const ENVOY_GATEWAYS = 'kubernetes/apps/network/envoy-gateway/app/envoy.yaml.j2';
const FLUX_CLUSTER_KS = 'kubernetes/flux/cluster/ks.yaml.j2';

type Planner = (builder: PlanBuilder, writer: TemplateWriter) => Promise<void>;

const PLANNERS: Record<string, Planner> = {
  volsync: planVolsync,
  cnpg: async (builder, writer) => {
    await builder.createAll(cnpgTemplates(writer));
    await builder.addResource(APPS_KUSTOMIZATION, './cnpg-system', CNPG_GATE);
  },
  keycloak: async (builder, writer) => {
    await builder.createAll(keycloakTemplates(writer));
    await builder.addResource(APPS_KUSTOMIZATION, './identity', KEYCLOAK_GATE);
    builder.note('The realm import (keycloak-config-cli) is not scaffolded: identity/keycloak/config/ holds an empty kustomization for the keycloak-config Flux Kustomization; add the realm there.');
    builder.note('Backups (pg_dump CronJob, Barman ObjectStore) and the OIDC ReferenceGrant are not scaffolded.');
    builder.note('keycloak_db_mode cnpg needs CloudNativePG (the cnpg scaffold and cnpg_enabled); nothing checks that when rendering.');
  },
  'grpc-route': planGrpcRoute,
  'oauth2-proxy': async (builder, writer) => {
    await builder.createAll(oauth2ProxyTemplates(writer));
    await builder.addResource(NETWORK_KUSTOMIZATION, './oauth2-proxy/ks.yaml', OAUTH2_PROXY_GATE);
    builder.note('The OAuth2-Proxy chart path oci://ghcr.io/oauth2-proxy/helm-charts/oauth2-proxy (7.11.0) comes from the guide: confirm it before deploying.');
  },
  'bjw-s-repository': planBjwsRepository,
  'cluster-secret-store': planClusterSecretStore,
};

async function planVolsync(builder: PlanBuilder, writer: TemplateWriter): Promise<void> {
  await builder.createAll(volsyncTemplates(writer));
  if ((await builder.read(STORAGE_KUSTOMIZATION)) === undefined) {
    await builder.createAll(storageNamespaceTemplates(writer));
  } else {
    // A storage folder gated on rustfs_enabled alone would hide VolSync when only VolSync is on;
    // the RustFS entries keep the old gate so that VolSync alone does not deploy RustFS.
    await builder.widenFileGate(STORAGE_KUSTOMIZATION, /^resources:/, 'volsync_enabled', VOLSYNC_GATE, (entry) => normalisedResource(entry) !== 'namespace.yaml');
    await builder.addResource(STORAGE_KUSTOMIZATION, './volsync/ks.yaml', VOLSYNC_GATE);
    if ((await builder.read(STORAGE_NAMESPACE)) !== undefined) await builder.widenFileGate(STORAGE_NAMESPACE, /^kind:\s*Namespace\b/, 'volsync_enabled', VOLSYNC_GATE);
  }
  // The apps kustomization upstream lists ./storage only when rustfs_enabled.
  await builder.admitResource(APPS_KUSTOMIZATION, './storage', 'volsync_enabled', VOLSYNC_GATE);
  if ((await builder.read(RUSTFS_SETUP_JOB)) === undefined) {
    builder.note(`${RUSTFS_SETUP_JOB} does not exist: create the volsync-backups bucket in the S3 store by hand.`);
  } else {
    await builder.edit(RUSTFS_SETUP_JOB, (text, syntax) => addBucketLine(text, syntax, writer));
  }
  builder.note('Per app: import volsync_restic_secret (in a *.sops.yaml.j2) and volsync_replication_source from kubernetes/apps/storage/volsync/backup.macros.j2.');
}

async function planGrpcRoute(builder: PlanBuilder, writer: TemplateWriter): Promise<void> {
  await builder.createAll(grpcRouteTemplates(writer));
  await builder.addResource(ENVOY_APP_KUSTOMIZATION, './grpcroute.yaml', GRPC_GATE);
  if ((await builder.read(ENVOY_GATEWAYS)) === undefined) {
    builder.note(`${ENVOY_GATEWAYS} does not exist: add a listener named grpc (HTTPS, port 443, allowedRoutes kind GRPCRoute) to Gateway envoy-internal by hand.`);
    return;
  }
  await builder.edit(ENVOY_GATEWAYS, (text, syntax) => addGrpcListener(text, syntax, writer));
  builder.note('The GRPCRoute routes to a placeholder Service (grpc_service_name, default grpc-example, port grpc_port or 50051) in the network namespace: point it at the real service.');
}

async function planBjwsRepository(builder: PlanBuilder, writer: TemplateWriter): Promise<void> {
  await builder.createAll(bjwsRepositoryTemplates(writer));
  if ((await builder.read(BJW_S_REPOSITORIES_KUSTOMIZATION)) === undefined) {
    await builder.createAll([bjwsRepositoriesKustomization()]);
  } else {
    await builder.addResource(BJW_S_REPOSITORIES_KUSTOMIZATION, `./${path.posix.basename(BJW_S_REPOSITORY_PATH, '.j2')}`, undefined);
  }
  const fluxKs = await builder.read(FLUX_CLUSTER_KS);
  if (fluxKs === undefined || !/flux\/cluster\/repositories|\.\/repositories/.test(fluxKs)) {
    builder.note('Flux does not apply kubernetes/flux/cluster/repositories yet: add a Flux Kustomization for it next to the one for ./kubernetes/apps in flux/cluster/ks.yaml.j2, then set chartRef.namespace: flux-system in the HelmReleases that use bjw-s-app-template.');
  }
}

async function planClusterSecretStore(builder: PlanBuilder, writer: TemplateWriter): Promise<void> {
  const esoKs = await builder.read(EXTERNAL_SECRETS_DEFAULT_KUSTOMIZATION);
  // The store must wait for the operator's CRDs: depend on the operator's Flux Kustomization by name.
  const operatorName = (esoKs && fluxKustomizationName(esoKs)) ?? 'external-secrets';
  if (esoKs === undefined) builder.note(`${EXTERNAL_SECRETS_DEFAULT_KUSTOMIZATION} was not found: the store's Flux Kustomization depends on one named external-secrets; adjust dependsOn if yours is named differently.`);
  await builder.createAll(clusterSecretStoreTemplates(writer, operatorName));
  await builder.addResource('kubernetes/apps/external-secrets/kustomization.yaml.j2', CLUSTER_SECRET_STORE_ENTRY, 'external_secrets_enabled | default(false)');
  builder.note('New keys (add them to cluster.schema.cue): onepassword_connect_token, onepassword_vault; bitwarden_access_token, bitwarden_organization_id, bitwarden_project_id; vault_server, vault_path, vault_token.');
  builder.note('The Bitwarden store needs the bitwarden-sdk-server of the External Secrets chart (bitwarden-sdk-server.enabled) and its CA in Secret bitwarden-tls-certs.');
}

/** `metadata.name` of the first Flux Kustomization in a ks.yaml template, when written plainly. */
function fluxKustomizationName(text: string): string | undefined {
  const match = /^kind:\s*Kustomization\s*$[\s\S]*?^metadata:\s*$\s*^\s+name:\s*["']?([a-z0-9][a-z0-9.-]*)["']?\s*$/m.exec(text);
  return match?.[1];
}

// ---------------------------------------------------------------------------------------------
// Plan building

type EditOutcome = { text: string; description: string } | { note: string } | undefined;

interface PendingEdit {
  original: string;
  text: string;
  descriptions: string[];
}

class PlanBuilder {
  private readonly changes: ScaffoldFileChange[] = [];
  private readonly upToDate: string[] = [];
  private readonly notes: string[] = [];
  private readonly edits = new Map<string, PendingEdit>();
  private readonly created = new Set<string>();

  constructor(private readonly ctx: ScaffoldContext) {}

  private absolute(relative: string): string {
    return path.join(this.ctx.templateDir, ...relative.split('/'));
  }

  /** The template's text as this plan leaves it so far; undefined when there is none. */
  async read(relative: string): Promise<string | undefined> {
    const pending = this.edits.get(relative);
    if (pending) return pending.text;
    return this.ctx.reader.readText(this.absolute(relative));
  }

  note(text: string): void {
    if (!this.notes.includes(text)) this.notes.push(text);
  }

  async createAll(templates: ScaffoldTemplate[]): Promise<void> {
    for (const template of templates) {
      const filePath = this.absolute(template.path);
      if (this.created.has(filePath)) continue;
      this.created.add(filePath);
      const existing = await this.ctx.reader.readText(filePath);
      if (existing === template.body) {
        this.upToDate.push(filePath);
        continue;
      }
      const change: ScaffoldFileChange = { path: filePath, kind: 'create', newText: template.body, description: template.description };
      if (existing !== undefined) change.conflictsWithExisting = true;
      this.changes.push(change);
    }
  }

  /** Applies a text edit to an existing template; several edits of one file become one change. */
  async edit(relative: string, apply: (text: string, syntax: JinjaSyntax) => EditOutcome): Promise<void> {
    let pending = this.edits.get(relative);
    if (!pending) {
      const original = await this.ctx.reader.readText(this.absolute(relative));
      if (original === undefined) return;
      pending = { original, text: original, descriptions: [] };
      this.edits.set(relative, pending);
    }
    const outcome = apply(pending.text, this.ctx.syntax);
    if (!outcome) return;
    if ('note' in outcome) {
      this.note(`${relative}: ${outcome.note}`);
      return;
    }
    pending.text = outcome.text;
    pending.descriptions.push(outcome.description);
  }

  /** Adds `entry` to the template's `resources:` list under `gate`, unless the list has it. */
  async addResource(relative: string, entry: string, gate: string | undefined): Promise<void> {
    if ((await this.read(relative)) === undefined) {
      this.note(`${relative} does not exist: list ${entry} in the kustomization that should deploy it${gate ? ` (under ${gate})` : ''}.`);
      return;
    }
    await this.edit(relative, (text, syntax) => addResourceEntry(text, syntax, templateWriter(syntax), entry, gate));
  }

  /** Makes sure the list admits `entry` when `variable` is on: widens its gate, or adds it gated. */
  async admitResource(relative: string, entry: string, variable: string, gate: string): Promise<void> {
    if ((await this.read(relative)) === undefined) {
      this.note(`${relative} does not exist: list ${entry} under ${gate} in the kustomization that deploys the namespaces.`);
      return;
    }
    await this.edit(relative, (text, syntax) => admitResourceEntry(text, syntax, templateWriter(syntax), entry, variable, gate));
  }

  /**
   * Widens the `if` wrapping the first line matching `anchor` (a whole-file gate) to admit
   * `variable`. The `resources:` entries that `keepEntry` picks and that only that gate covered
   * get the old condition as a gate of their own.
   */
  async widenFileGate(relative: string, anchor: RegExp, variable: string, gate: string, keepEntry?: (entry: string) => boolean): Promise<void> {
    await this.edit(relative, (text, syntax) => {
      const analysis = analyseTemplate(text, syntax);
      const line = analysis.lines.findIndex((candidate) => !candidate.isTagOnly && anchor.test(candidate.text));
      if (line < 0) return undefined;
      const outcome = widenEnclosingIf(text, analysis, analysis.lines[line].start, 0, variable, gate, 'widened the file gate');
      if (!outcome || 'note' in outcome || !keepEntry) return outcome;
      return keepEntriesUnderOldGate(text, analysis, templateWriter(syntax), analysis.lines[line].start, keepEntry, outcome);
    });
  }

  finish(): ScaffoldPlan {
    for (const [relative, pending] of this.edits) {
      const filePath = this.absolute(relative);
      if (pending.text === pending.original) this.upToDate.push(filePath);
      else this.changes.push({ path: filePath, kind: 'edit', newText: pending.text, description: pending.descriptions.join('; ') });
    }
    return { changes: this.changes, upToDate: this.upToDate, notes: this.notes };
  }
}

// ---------------------------------------------------------------------------------------------
// Reading a template's lines: which are only Jinja tags, and how deep in blocks each starts

interface BlockTag {
  start: number;
  end: number;
  keyword: string;
  /** The expression after the keyword (an `if`'s condition). */
  expressionStart: number;
  expressionEnd: number;
}

interface TemplateLine {
  start: number;
  /** The line's text without its line break. */
  text: string;
  /** Holds Jinja block or comment tags and nothing else but spaces. */
  isTagOnly: boolean;
  /** Every block tag on it closes a block (`endif`, `endfor`). */
  onlyCloses: boolean;
  /** Every block tag on it opens a block (`if`, `for`). */
  onlyOpens: boolean;
  /** Blocks open where the line starts. */
  depth: number;
}

interface TemplateAnalysis {
  lines: TemplateLine[];
  tags: BlockTag[];
  eol: string;
}

const OPENING_KEYWORDS = new Set(['if', 'for', 'macro', 'call', 'filter', 'with', 'block', 'autoescape', 'trans']);

function opensBlock(tag: BlockTag, text: string): boolean {
  if (OPENING_KEYWORDS.has(tag.keyword)) return true;
  // `set x %#...#% endset` is a block; `set x = 1` is not.
  return tag.keyword === 'set' && !/=/.test(text.slice(tag.expressionStart, tag.expressionEnd));
}

function closesBlock(tag: BlockTag): boolean {
  return tag.keyword.startsWith('end');
}

function analyseTemplate(text: string, syntax: JinjaSyntax): TemplateAnalysis {
  const tags: BlockTag[] = [];
  const tagSpans: { start: number; end: number; block?: BlockTag }[] = [];
  for (const segment of lexTemplate(text, syntax).segments) {
    if (segment.kind === 'comment') tagSpans.push({ start: segment.tag.span.start, end: segment.tag.span.end });
    if (segment.kind !== 'code' || segment.tag.kind !== 'block') continue;
    const tokens = segment.tokens.filter((token) => token.type !== 'end');
    const tag: BlockTag = {
      start: segment.tag.span.start,
      end: segment.tag.span.end,
      keyword: tokens[0]?.type === 'name' ? tokens[0].value : '',
      expressionStart: tokens[1]?.start ?? segment.contentEnd,
      expressionEnd: tokens.length > 1 ? tokens[tokens.length - 1].end : segment.contentEnd,
    };
    tags.push(tag);
    tagSpans.push({ start: tag.start, end: tag.end, block: tag });
  }
  const lines: TemplateLine[] = [];
  let depth = 0;
  let tagIndex = 0;
  let spanIndex = 0;
  for (let start = 0; start <= text.length; ) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline;
    if (newline < 0 && start === text.length && start > 0) break;
    const lineText = text.slice(start, end).replace(/\r$/, '');
    while (tagIndex < tags.length && tags[tagIndex].end <= start) {
      const tag = tags[tagIndex++];
      if (opensBlock(tag, text)) depth++;
      else if (closesBlock(tag)) depth = Math.max(0, depth - 1);
    }
    while (spanIndex < tagSpans.length && tagSpans[spanIndex].end <= start) spanIndex++;
    const onLine = tagSpans.filter((span, index) => index >= spanIndex && span.start >= start && span.end <= end);
    let rest = lineText;
    for (const span of [...onLine].reverse()) rest = rest.slice(0, span.start - start) + rest.slice(span.end - start);
    const blocks = onLine.flatMap((span) => (span.block ? [span.block] : []));
    lines.push({
      start,
      text: lineText,
      isTagOnly: onLine.length > 0 && rest.trim() === '',
      onlyCloses: blocks.length > 0 && blocks.every(closesBlock),
      onlyOpens: blocks.length > 0 && blocks.every((tag) => opensBlock(tag, text)),
      depth,
    });
    if (newline < 0) break;
    start = newline + 1;
  }
  return { lines, tags, eol: text.includes('\r\n') ? '\r\n' : '\n' };
}

interface OpenBlock {
  tag: BlockTag;
  /** No `elif`/`else` of this block comes before the offset asked about. */
  isFirstBranch: boolean;
}

/** The blocks open at `offset`, outermost first. */
function enclosingBlocks(analysis: TemplateAnalysis, text: string, offset: number): OpenBlock[] {
  const stack: OpenBlock[] = [];
  for (const tag of analysis.tags) {
    if (tag.start >= offset) break;
    if (opensBlock(tag, text)) stack.push({ tag, isFirstBranch: true });
    else if (closesBlock(tag)) stack.pop();
    else if ((tag.keyword === 'elif' || tag.keyword === 'else') && stack.length > 0) stack[stack.length - 1].isFirstBranch = false;
  }
  return stack;
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

// ---------------------------------------------------------------------------------------------
// YAML block lists inside a template (resources:, listeners:)

interface ListItem {
  line: number;
  value: string;
}

interface ListRegion {
  keyLine: number;
  keyIndent: number;
  itemIndent?: number;
  items: ListItem[];
  /** The last line belonging to the list (the key line when it is empty). */
  lastLine: number;
}

function findListRegion(lines: TemplateLine[], keyLine: number): ListRegion {
  const keyIndent = indentOf(lines[keyLine].text);
  const region: ListRegion = { keyLine, keyIndent, items: [], lastLine: keyLine };
  for (let i = keyLine + 1; i < lines.length; i++) {
    const line = lines[i];
    const trimmed = line.text.trim();
    if (trimmed === '' || line.isTagOnly || trimmed.startsWith('#')) continue;
    const indent = indentOf(line.text);
    const isDash = trimmed === '-' || trimmed.startsWith('- ');
    if (indent < keyIndent || (indent === keyIndent && !isDash)) break;
    region.lastLine = i;
    if (isDash && (region.itemIndent === undefined || indent === region.itemIndent)) {
      region.itemIndent ??= indent;
      region.items.push({ line: i, value: itemValue(trimmed) });
    }
  }
  return region;
}

/** `- "./a/ks.yaml"  # note` → `./a/ks.yaml` */
function itemValue(trimmedLine: string): string {
  const value = trimmedLine.replace(/^-\s*/, '').replace(/\s+#.*$/, '').trim();
  return value.replace(/^(["'])(.*)\1$/, '$2');
}

/** `./a/` and `a` name the same resource. */
function normalisedResource(value: string): string {
  return value.replace(/^\.\//, '').replace(/\/+$/, '');
}

/** The first line after the list, past the `endif`s that close blocks opened inside it. */
function lineAfterList(analysis: TemplateAnalysis, region: ListRegion): number {
  const baseDepth = analysis.lines[region.keyLine].depth;
  let next = region.lastLine + 1;
  while (next < analysis.lines.length && analysis.lines[next].isTagOnly && analysis.lines[next].onlyCloses && analysis.lines[next].depth > baseDepth) next++;
  return next;
}

/** Where an item's own lines start: before the `if` lines that gate it alone. */
function itemUnitStart(analysis: TemplateAnalysis, region: ListRegion, index: number): number {
  const floor = index === 0 ? region.keyLine : region.items[index - 1].line;
  let line = region.items[index].line;
  while (line - 1 > floor && analysis.lines[line - 1].isTagOnly && analysis.lines[line - 1].onlyOpens) line--;
  return line;
}

function offsetOfLine(text: string, analysis: TemplateAnalysis, line: number): number {
  return line < analysis.lines.length ? analysis.lines[line].start : text.length;
}

/** Inserts whole lines at a line start (or at the end, adding the missing final line break). */
function insertLines(text: string, analysis: TemplateAnalysis, offset: number, newLines: string[]): string {
  const block = newLines.join(analysis.eol) + analysis.eol;
  const needsBreak = offset === text.length && text.length > 0 && !text.endsWith('\n');
  return text.slice(0, offset) + (needsBreak ? analysis.eol : '') + block + text.slice(offset);
}

function gatedLines(writer: TemplateWriter, indent: string, gate: string | undefined, body: string[]): string[] {
  const lines = body.map((line) => indent + line);
  return gate ? [indent + writer.block(`if ${gate}`), ...lines, indent + writer.block('endif')] : lines;
}

function findResourcesKey(analysis: TemplateAnalysis): number {
  return analysis.lines.findIndex((line) => !line.isTagOnly && /^resources:\s*(#.*)?$/.test(line.text));
}

/**
 * Adds `- entry` (gated) to the `resources:` list: at its sorted place when the list is sorted,
 * else at its end. Undefined when the list already has it. Example: `resources:\n  - ./network\n`
 * with entry `./identity` and gate `keycloak_enabled` gets the three lines
 * `  #% if keycloak_enabled %#`, `  - ./identity`, `  #% endif %#` before `  - ./network`.
 */
export function addResourceEntry(text: string, syntax: JinjaSyntax, writer: TemplateWriter, entry: string, gate: string | undefined): EditOutcome {
  const analysis = analyseTemplate(text, syntax);
  const keyLine = findResourcesKey(analysis);
  if (keyLine < 0) return { note: `no block-style resources: list found; add ${entry}${gate ? ` under ${gate}` : ''} by hand` };
  const region = findListRegion(analysis.lines, keyLine);
  const wanted = normalisedResource(entry);
  const values = region.items.map((item) => normalisedResource(item.value));
  if (values.includes(wanted)) return undefined;
  const indent = ' '.repeat(region.itemIndent ?? region.keyIndent + 2);
  const isSorted = values.every((value, index) => index === 0 || values[index - 1] <= value);
  const before = isSorted ? values.findIndex((value) => value > wanted) : -1;
  const line = before >= 0 ? itemUnitStart(analysis, region, before) : lineAfterList(analysis, region);
  const offset = offsetOfLine(text, analysis, line);
  // Inside a file already gated the same way (`if external_secrets_enabled` around it all), a second gate says nothing.
  const ownGate = gate && !isInsideIf(analysis, text, offset, gate) ? gate : undefined;
  const inserted = insertLines(text, analysis, offset, gatedLines(writer, indent, ownGate, [`- ${entry}`]));
  return { text: inserted, description: `listed ${entry}${ownGate ? ` under ${ownGate}` : ''}` };
}

/** An `if` with this very condition (spaces aside) is open at `offset`, in its first branch. */
function isInsideIf(analysis: TemplateAnalysis, text: string, offset: number, condition: string): boolean {
  const wanted = condition.replace(/\s+/g, ' ').trim();
  return enclosingBlocks(analysis, text, offset).some(
    (block) => block.tag.keyword === 'if' && block.isFirstBranch && text.slice(block.tag.expressionStart, block.tag.expressionEnd).replace(/\s+/g, ' ').trim() === wanted,
  );
}

/**
 * Makes the `resources:` list admit `entry` when `variable` is on: widens the `if` gating an
 * existing entry, or adds the entry under `gate`. Example: `./storage` under `#% if rustfs_enabled %#`
 * with variable `volsync_enabled` gets `#% if rustfs_enabled or volsync_enabled | default(false) %#`.
 */
export function admitResourceEntry(text: string, syntax: JinjaSyntax, writer: TemplateWriter, entry: string, variable: string, gate: string): EditOutcome {
  const analysis = analyseTemplate(text, syntax);
  const keyLine = findResourcesKey(analysis);
  if (keyLine < 0) return addResourceEntry(text, syntax, writer, entry, gate);
  const region = findListRegion(analysis.lines, keyLine);
  const existing = region.items.find((item) => normalisedResource(item.value) === normalisedResource(entry));
  if (!existing) return addResourceEntry(text, syntax, writer, entry, gate);
  const keyOffset = analysis.lines[keyLine].start;
  return widenEnclosingIf(text, analysis, analysis.lines[existing.line].start, keyOffset, variable, gate, `widened the gate of ${entry}`);
}

/**
 * Rewrites the innermost `if` around `offset` (opened at or after `floor`) to `<condition> or <gate>`
 * unless its condition already names `variable`. Nothing when no such `if` exists (ungated).
 */
function widenEnclosingIf(text: string, analysis: TemplateAnalysis, offset: number, floor: number, variable: string, gate: string, description: string): EditOutcome {
  const blocks = enclosingBlocks(analysis, text, offset).filter((block) => block.tag.start >= floor);
  const innermost = blocks[blocks.length - 1];
  if (!innermost) return undefined;
  if (innermost.tag.keyword !== 'if' || !innermost.isFirstBranch) {
    return { note: `the ${innermost.tag.keyword} block around it cannot be widened automatically; make sure it is on when ${variable} is` };
  }
  const condition = text.slice(innermost.tag.expressionStart, innermost.tag.expressionEnd);
  if (new RegExp(`\\b${variable}\\b`).test(condition)) return undefined;
  // `or` binds loosest except for the inline `x if c else y`, which needs parentheses.
  const widened = /\b(if|else)\b/.test(condition) ? `(${condition}) or ${gate}` : `${condition} or ${gate}`;
  return { text: text.slice(0, innermost.tag.expressionStart) + widened + text.slice(innermost.tag.expressionEnd), description };
}

/**
 * After widening a file gate: wraps each run of `resources:` entries that only the file gate
 * covered (and `keepEntry` picks) in `if <old condition>`, then applies the widened condition.
 */
function keepEntriesUnderOldGate(
  text: string,
  analysis: TemplateAnalysis,
  writer: TemplateWriter,
  anchorOffset: number,
  keepEntry: (entry: string) => boolean,
  widened: { text: string; description: string },
): EditOutcome {
  const blocks = enclosingBlocks(analysis, text, anchorOffset);
  const fileGate = blocks[blocks.length - 1].tag;
  const oldCondition = text.slice(fileGate.expressionStart, fileGate.expressionEnd);
  const keyLine = findResourcesKey(analysis);
  if (keyLine < 0) return widened;
  const region = findListRegion(analysis.lines, keyLine);
  const isOnlyUnderFileGate = (item: ListItem): boolean => {
    const around = enclosingBlocks(analysis, text, analysis.lines[item.line].start);
    return around[around.length - 1]?.tag === fileGate;
  };
  // Runs of neighbouring items to keep, each as [first item, last item].
  const runs: [ListItem, ListItem][] = [];
  region.items.forEach((item, index) => {
    if (!keepEntry(item.value) || !isOnlyUnderFileGate(item)) return;
    const last = runs[runs.length - 1];
    if (last && region.items[index - 1] === last[1]) last[1] = item;
    else runs.push([item, item]);
  });
  if (runs.length === 0) return widened;
  const indent = ' '.repeat(region.itemIndent ?? region.keyIndent + 2);
  let result = text;
  for (const [first, last] of [...runs].reverse()) {
    let end = last.line + 1;
    while (end < analysis.lines.length && !analysis.lines[end].isTagOnly && indentOf(analysis.lines[end].text) > (region.itemIndent ?? 0) && analysis.lines[end].text.trim() !== '') end++;
    result = insertLines(result, analysis, offsetOfLine(result, analysis, end), [indent + writer.block('endif')]);
    result = insertLines(result, analysis, analysis.lines[first.line].start, [indent + writer.block(`if ${oldCondition}`)]);
  }
  // The condition sits before every entry: its offsets are still those of `text`.
  const lengthChange = widened.text.length - text.length;
  const condition = widened.text.slice(fileGate.expressionStart, fileGate.expressionEnd + lengthChange);
  result = result.slice(0, fileGate.expressionStart) + condition + result.slice(fileGate.expressionEnd);
  const kept = runs.flatMap(([first, last]) => region.items.slice(region.items.indexOf(first), region.items.indexOf(last) + 1).map((item) => item.value));
  return { text: result, description: `${widened.description}; kept ${kept.join(', ')} under ${oldCondition}` };
}

// ---------------------------------------------------------------------------------------------
// Special edits

const MC_MAKE_BUCKET = /(\bmc\s+mb\b(?:\s+--?[\w-]+)*\s+)([^\s/]+)\/(\S+)/;

/** Adds a gated `mc mb` line for the VolSync bucket after the RustFS setup job's last one. */
function addBucketLine(text: string, syntax: JinjaSyntax, writer: TemplateWriter): EditOutcome {
  const analysis = analyseTemplate(text, syntax);
  const bucketLines = analysis.lines.map((line, index) => ({ line, index })).filter(({ line }) => !line.isTagOnly && MC_MAKE_BUCKET.test(line.text));
  if (bucketLines.length === 0) return { note: 'no `mc mb` line found; create the volsync-backups bucket by hand' };
  if (bucketLines.some(({ line }) => /volsync/.test(line.text))) return undefined;
  const last = bucketLines[bucketLines.length - 1];
  const first = bucketLines[0];
  // Outside any gate of the bucket lines: the depth of the script line before the first of them.
  let previous = first.index - 1;
  while (previous >= 0 && (analysis.lines[previous].isTagOnly || analysis.lines[previous].text.trim() === '')) previous--;
  const baseDepth = previous >= 0 ? analysis.lines[previous].depth : first.line.depth;
  let next = last.index + 1;
  while (next < analysis.lines.length && analysis.lines[next].isTagOnly && analysis.lines[next].onlyCloses && analysis.lines[next].depth > baseDepth) next++;
  const template = last.line.text.trimStart();
  const command = template.replace(MC_MAKE_BUCKET, (_match, prefix: string, alias: string) => `${prefix}${alias}/${writer.value(VOLSYNC_BUCKET_EXPRESSION)}`);
  const indent = ' '.repeat(indentOf(last.line.text));
  const inserted = insertLines(text, analysis, offsetOfLine(text, analysis, next), gatedLines(writer, indent, VOLSYNC_GATE, [command]));
  return { text: inserted, description: 'creates the VolSync bucket in the RustFS setup job' };
}

/** Appends the gated `grpc` listener to Gateway envoy-internal's listeners. */
function addGrpcListener(text: string, syntax: JinjaSyntax, writer: TemplateWriter): EditOutcome {
  const analysis = analyseTemplate(text, syntax);
  const { lines } = analysis;
  const separators = [-1, ...lines.flatMap((line, index) => (/^---\s*$/.test(line.text) ? [index] : [])), lines.length];
  for (let d = 0; d + 1 < separators.length; d++) {
    const from = separators[d] + 1;
    const to = separators[d + 1];
    const document = lines.slice(from, to);
    const isGateway = document.some((line) => /^kind:\s*Gateway\s*$/.test(line.text));
    const isInternal = document.some((line) => /^\s+name:\s*["']?envoy-internal["']?\s*$/.test(line.text));
    if (!isGateway || !isInternal) continue;
    const keyLine = document.findIndex((line) => !line.isTagOnly && /^\s+listeners:\s*$/.test(line.text));
    if (keyLine < 0) return { note: 'Gateway envoy-internal has no block-style listeners: list; add the grpc listener by hand' };
    const region = findListRegion(lines, from + keyLine);
    const regionLines = lines.slice(region.keyLine + 1, region.lastLine + 1);
    if (regionLines.some((line) => /^\s*(?:-\s+)?name:\s*["']?grpc["']?\s*$/.test(line.text))) return undefined;
    const indent = ' '.repeat(region.itemIndent ?? region.keyIndent + 2);
    const at = offsetOfLine(text, analysis, lineAfterList(analysis, region));
    const inserted = insertLines(text, analysis, at, gatedLines(writer, indent, GRPC_GATE, grpcListenerLines(writer)));
    return { text: inserted, description: `added the grpc listener to Gateway envoy-internal under ${GRPC_GATE}` };
  }
  return { note: 'no Gateway envoy-internal found; add the grpc listener by hand' };
}
