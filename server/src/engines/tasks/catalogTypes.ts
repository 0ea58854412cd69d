// The shape of the remaining-work catalog (catalog.json): items, the conditions that say how far
// each one is, and its steps. Plain data types only; reading state and running steps live beside.

export type Priority = 'high' | 'medium' | 'low' | 'future';

/** done: every requirement holds. in-progress: some do. todo: none do. blocked: a dependency is missing. unknown: the workspace could not be read. */
export type ItemState = 'done' | 'in-progress' | 'todo' | 'blocked' | 'unknown';

/**
 * One fact read from the workspace. Paths of templates are relative to the first makejinja input
 * folder that holds them (templates/config), rendered paths relative to the workspace root.
 */
export type Condition = ConditionBody & {
  /** Says what holds: "the talos-backup templates exist". */
  label: string;
  /** false: holding alone does not make the item "in progress" (a fact shared with other items). */
  showsProgress?: boolean;
};

export type ConditionBody =
  /** Every listed template exists (in any input folder: an earlier input wins). */
  | { kind: 'templatesExist'; paths: string[] }
  /** Some template matching the glob has a line matching the pattern. */
  | { kind: 'templateContains'; glob: string; pattern: string }
  /** The kustomization template lists the entry and, rendered with the workspace's data, keeps it. */
  | { kind: 'kustomizationEntry'; template: string; entry: string }
  /** Every key has a non-empty value in cluster.yaml (commented out or empty counts as unset). */
  | { kind: 'variablesSet'; keys: string[] }
  /** A Jinja expression over the render data (plugin-derived values included) is true. */
  | { kind: 'expression'; expression: string }
  /** Every listed output file exists in the workspace. */
  | { kind: 'renderedExist'; paths: string[] }
  /** Every listed `*.sops.*` output exists and is encrypted. */
  | { kind: 'renderedEncrypted'; paths: string[] }
  /** The last run of each listed verify step of this item passed. */
  | { kind: 'stepsPassed'; steps: string[] }
  /** Any of the conditions holds. */
  | { kind: 'any'; of: Condition[] };

/** A prerequisite. Unmet (the item is not done and, when given, satisfiedBy fails): the item is blocked. */
export interface Dependency {
  /** Another catalog item this one builds on. */
  item?: string;
  /** Met without the item (e.g. an external identity provider instead of Keycloak). */
  satisfiedBy?: Condition;
  /** The dependency only applies when this holds (e.g. Keycloak needs CNPG only in cnpg mode). */
  appliesWhen?: Condition;
  /** Says what is missing: "no OIDC provider: set oidc_issuer_url and oidc_jwks_uri, or enable Keycloak". */
  reason: string;
}

/** A variable the configure step asks for. Validation comes from the cluster.yaml schema. */
export interface VariablePrompt {
  key: string;
  prompt: string;
  /** Entered in a password box, never shown back, never logged. */
  isSecret?: boolean;
  /** Offered first; a value the user can take or edit. */
  default?: string | number | boolean;
  /** Ready-made values to pick from. */
  choices?: { label: string; value: string | boolean | number; detail?: string }[];
  /** A value computed from the workspace and offered (see variableSuggestions.ts). */
  derive?: 'agePublicKey' | 'rustfsEndpoint' | 'jwksFromIssuer' | 'randomBase64' | 'randomHex';
  /** May be left empty (the key is then left as it is). */
  isOptional?: boolean;
}

/**
 * A command line as argv. `{key}` is replaced by that cluster.yaml / nodes.yaml value
 * (`{nodes[0].address}`, `{controller.address}` = the first controller's address,
 * `{cloudflare_domain}`); each argument is quoted for the shell afterwards.
 */
export type CommandTemplate = string[];

export type StepKind = 'scaffold' | 'configure' | 'pipeline' | 'run' | 'verify' | 'manual';

export interface StepBase {
  id: string;
  title: string;
  /** One or two sentences: why, and what to expect. */
  detail?: string;
}

export interface ScaffoldStep extends StepBase {
  kind: 'scaffold';
  /** A scaffold id of scaffolds.ts. */
  scaffold: string;
}

export interface ConfigureStep extends StepBase {
  kind: 'configure';
  variables: VariablePrompt[];
}

/** Our Configure pipeline (check, render, encrypt, validate), or Reconcile. */
export interface PipelineStep extends StepBase {
  kind: 'pipeline';
  pipeline: 'configure' | 'reconcile';
}

export interface RunStep extends StepBase {
  kind: 'run';
  command: CommandTemplate;
}

export interface VerifyStep extends StepBase {
  kind: 'verify';
  command: CommandTemplate;
  /** An output parser of outputParsers.ts. */
  parser: string;
  /** Values the parser compares with (placeholders allowed, e.g. "{talos_version}"). */
  expect?: Record<string, string>;
}

export interface ManualStep extends StepBase {
  kind: 'manual';
}

export type Step = ScaffoldStep | ConfigureStep | PipelineStep | RunStep | VerifyStep | ManualStep;

export interface CatalogItem {
  id: string;
  title: string;
  priority: Priority;
  /** A guide rather than a task list (CNPG, Keycloak). */
  isGuide?: boolean;
  /** One line for the tree. */
  summary: string;
  dependencies: Dependency[];
  /** All hold: done. Some hold: in progress. */
  requirements: Condition[];
  /** Where the guide or upstream differs from the repository (shown in the tooltip). */
  warnings?: string[];
  steps: Step[];
}

export interface Catalog {
  version: number;
  items: CatalogItem[];
}

// ---- Verify results ---------------------------------------------------------------------------

export type CheckStatus = 'pass' | 'fail' | 'error';

/** What an output parser says about one run of a check. */
export interface CheckVerdict {
  status: CheckStatus;
  /** One line for the tree: why it passed or failed. */
  reason: string;
  /** Per-object findings ("tuppr-6d9f 1/1 Running"), for the tooltip and the output channel. */
  details: string[];
}

/** The process output a parser reads. */
export interface CheckOutput {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

/** Parses one tool's output: `expect` holds the step's expectations after substitution. */
export type OutputParser = (output: CheckOutput, expect: Record<string, string>) => CheckVerdict;
