// Checks snippets/cluster-template.json: every body is valid VS Code snippet syntax (no stray `$`, no unknown
// variables such as an unescaped ${SECRET_DOMAIN}), and what it inserts, with defaults taken and Jinja tags
// masked to blanks, is the YAML we mean for a file at the cluster-template path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const ROOT = join(__dirname, '../../..');

interface SnippetDefinition {
  prefix: string | string[];
  body: string | string[];
  description: string;
  isFileTemplate?: boolean;
}
const snippets = JSON.parse(readFileSync(join(ROOT, 'snippets/cluster-template.json'), 'utf8')) as Record<string, SnippetDefinition>;

// The variables VS Code resolves in snippets; anything else would be inserted as its own name.
const KNOWN_VARIABLES = new Set([
  'TM_SELECTED_TEXT', 'TM_CURRENT_LINE', 'TM_CURRENT_WORD', 'TM_LINE_INDEX', 'TM_LINE_NUMBER', 'TM_FILENAME',
  'TM_FILENAME_BASE', 'TM_DIRECTORY', 'TM_FILEPATH', 'RELATIVE_FILEPATH', 'CLIPBOARD', 'WORKSPACE_NAME',
  'WORKSPACE_FOLDER', 'CURSOR_INDEX', 'CURSOR_NUMBER', 'CURRENT_YEAR', 'CURRENT_YEAR_SHORT', 'CURRENT_MONTH',
  'CURRENT_MONTH_NAME', 'CURRENT_MONTH_NAME_SHORT', 'CURRENT_DATE', 'CURRENT_DAY_NAME', 'CURRENT_DAY_NAME_SHORT',
  'CURRENT_HOUR', 'CURRENT_MINUTE', 'CURRENT_SECOND', 'CURRENT_SECONDS_UNIX', 'CURRENT_TIMEZONE_OFFSET', 'RANDOM',
  'RANDOM_HEX', 'UUID', 'BLOCK_COMMENT_START', 'BLOCK_COMMENT_END', 'LINE_COMMENT',
]);

/** $n, ${n} and ${n:-default} (the group, or the default when the group is empty) in a transform's format. */
const FORMAT_REFERENCE = /\$(\d+)|\$\{(\d+)(?::-([^}]*))?\}/g;

type SnippetNode =
  | { kind: 'text'; value: string }
  | { kind: 'tabstop'; index: number; children: SnippetNode[] | undefined }
  | { kind: 'choice'; index: number; options: string[] }
  | { kind: 'variable'; name: string; children: SnippetNode[] | undefined; transform: Transform | undefined };
interface Transform {
  regex: RegExp;
  format: string;
}

/**
 * Parses the VS Code snippet grammar strictly: where VS Code would quietly insert malformed syntax as text,
 * this throws. Example: parseSnippet('a ${1:b} \\$c') → text, tabstop 1 with "b", text " $c".
 */
function parseSnippet(body: string): SnippetNode[] {
  let pos = 0;
  const fail = (message: string): never => {
    throw new Error(`${message} at ${pos} in ${JSON.stringify(body)}`);
  };
  const readInt = (): number | undefined => {
    const match = /^\d+/.exec(body.slice(pos));
    if (!match) return undefined;
    pos += match[0].length;
    return Number(match[0]);
  };
  const readName = (): string | undefined => {
    const match = /^[_a-zA-Z][_a-zA-Z0-9]*/.exec(body.slice(pos));
    if (!match) return undefined;
    pos += match[0].length;
    return match[0];
  };
  // Reads up to an unescaped `stop`; `\x` keeps x only for the escapable characters, as VS Code does.
  const readUntil = (stop: string, escapable: string): string => {
    let out = '';
    while (pos < body.length && body[pos] !== stop) {
      if (body[pos] === '\\' && pos + 1 < body.length && escapable.includes(body[pos + 1])) {
        out += body[pos + 1];
        pos += 2;
      } else out += body[pos++];
    }
    if (body[pos] !== stop) fail(`missing ${stop}`);
    pos++;
    return out;
  };
  const readTransform = (): Transform => {
    pos++; // the opening slash
    const source = readUntil('/', '/');
    const format = readUntil('/', '/$}\\');
    const options = /^[a-z]*/.exec(body.slice(pos))?.[0] ?? '';
    pos += options.length;
    if (body[pos++] !== '}') fail('transform not closed');
    if (format.replace(FORMAT_REFERENCE, '').includes('$')) fail('format supports $n, ${n} and ${n:-default} only');
    return { regex: new RegExp(source, options), format };
  };
  const parseSequence = (insidePlaceholder: boolean): SnippetNode[] => {
    const nodes: SnippetNode[] = [];
    let text = '';
    const flush = () => {
      if (text) nodes.push({ kind: 'text', value: text });
      text = '';
    };
    while (pos < body.length) {
      const ch = body[pos];
      if (ch === '\\' && pos + 1 < body.length && '$}\\'.includes(body[pos + 1])) {
        text += body[pos + 1];
        pos += 2;
      } else if (ch === '}' && insidePlaceholder) {
        flush();
        return nodes;
      } else if (ch === '$') {
        flush();
        pos++;
        if (body[pos] === '{') {
          pos++;
          const index = readInt();
          if (index !== undefined) {
            if (body[pos] === '}') {
              pos++;
              nodes.push({ kind: 'tabstop', index, children: undefined });
            } else if (body[pos] === ':') {
              pos++;
              const children = parseSequence(true);
              if (body[pos++] !== '}') fail('placeholder not closed');
              nodes.push({ kind: 'tabstop', index, children });
            } else if (body[pos] === '|') {
              pos++;
              const raw = readUntil('|', '');
              if (body[pos++] !== '}') fail('choice not closed');
              nodes.push({ kind: 'choice', index, options: raw.split(',') });
            } else fail('bad tabstop');
            continue;
          }
          const name = readName() ?? fail('`${` starts neither a tabstop nor a variable');
          if (!KNOWN_VARIABLES.has(name)) fail(`unknown variable ${name} (escape a literal $ as \\$)`);
          if (body[pos] === '}') {
            pos++;
            nodes.push({ kind: 'variable', name, children: undefined, transform: undefined });
          } else if (body[pos] === ':') {
            pos++;
            const children = parseSequence(true);
            if (body[pos++] !== '}') fail('variable default not closed');
            nodes.push({ kind: 'variable', name, children, transform: undefined });
          } else if (body[pos] === '/') {
            nodes.push({ kind: 'variable', name, children: undefined, transform: readTransform() });
          } else fail('bad variable');
        } else {
          const index = readInt();
          if (index !== undefined) nodes.push({ kind: 'tabstop', index, children: undefined });
          else {
            const name = readName() ?? fail('a lone $ (escape it as \\$)');
            if (!KNOWN_VARIABLES.has(name)) fail(`unknown variable ${name} (escape a literal $ as \\$)`);
            nodes.push({ kind: 'variable', name, children: undefined, transform: undefined });
          }
        }
      } else text += body[pos++];
    }
    if (insidePlaceholder) fail('placeholder not closed');
    flush();
    return nodes;
  };
  return parseSequence(false);
}

/** What accepting every default inserts: a tabstop mirrors the first placeholder given for its index. */
function expandSnippet(nodes: SnippetNode[], variables: Record<string, string>): string {
  const defaults = new Map<number, SnippetNode[]>();
  const collect = (list: SnippetNode[]) => {
    for (const node of list) {
      if (node.kind === 'tabstop' && node.children) {
        if (!defaults.has(node.index)) defaults.set(node.index, node.children);
        collect(node.children);
      }
      if (node.kind === 'choice' && !defaults.has(node.index)) defaults.set(node.index, [{ kind: 'text', value: node.options[0] }]);
      if (node.kind === 'variable' && node.children) collect(node.children);
    }
  };
  collect(nodes);
  const render = (list: SnippetNode[]): string =>
    list
      .map((node) => {
        switch (node.kind) {
          case 'text':
            return node.value;
          case 'tabstop':
          case 'choice': {
            const children = defaults.get(node.index);
            return children ? render(children) : '';
          }
          case 'variable': {
            const value = variables[node.name] ?? '';
            if (value === '' && !node.transform) return node.children ? render(node.children) : '';
            if (!node.transform) return value;
            const format = node.transform.format;
            const transformed = value.replace(node.transform.regex, (...groups: unknown[]) =>
              format.replace(FORMAT_REFERENCE, (_, plain?: string, braced?: string, fallback?: string) => {
                const group = groups[Number(plain ?? braced)];
                return typeof group === 'string' && group !== '' ? group : (fallback ?? '');
              }),
            );
            return transformed;
          }
        }
      })
      .join('');
  return render(nodes);
}

/** Blanks out makejinja tags but keeps line breaks, so the YAML around them keeps its shape. */
function maskJinja(text: string): string {
  return text.replace(/#\{[\s\S]*?\}#|#%[\s\S]*?%#|#\|[\s\S]*?#\|/g, (tag) => tag.replace(/[^\n]/g, ' '));
}

function bodyText(snippet: SnippetDefinition): string {
  return Array.isArray(snippet.body) ? snippet.body.join('\n') : snippet.body;
}

function parseYamlDocuments(text: string): unknown[] {
  const documents = parseAllDocuments(text);
  assert.ok(Array.isArray(documents), 'not an empty stream');
  for (const document of documents) {
    assert.deepEqual([...document.errors, ...document.warnings].map((e) => e.message), [], text);
  }
  return documents.map((document) => document.toJS());
}

const POSIX_APP = '/work/cluster/templates/config/kubernetes/apps/default/echo';
const expectations: Record<string, { directory: string; selected?: string; documents: unknown[] }> = {
  'Flux Kustomization (ks.yaml.j2)': {
    directory: POSIX_APP,
    documents: [
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'echo' },
        spec: {
          interval: '1h',
          path: './kubernetes/apps/default/echo/app',
          postBuild: { substituteFrom: [{ name: 'cluster-secrets', kind: 'Secret' }] },
          prune: true,
          sourceRef: { kind: 'GitRepository', name: 'flux-system', namespace: 'flux-system' },
          targetNamespace: 'default',
          wait: false,
        },
      },
    ],
  },
  'App kustomization (app/kustomization.yaml.j2)': {
    directory: `${POSIX_APP}/app`,
    documents: [{ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['./helmrelease.yaml', './ocirepository.yaml'] }],
  },
  'HelmRelease with chartRef (app/helmrelease.yaml.j2)': {
    directory: `${POSIX_APP}/app`,
    documents: [
      {
        apiVersion: 'helm.toolkit.fluxcd.io/v2',
        kind: 'HelmRelease',
        metadata: { name: 'echo' },
        spec: { chartRef: { kind: 'OCIRepository', name: 'echo' }, interval: '1h', values: null },
      },
    ],
  },
  'OCIRepository for a Helm chart (app/ocirepository.yaml.j2)': {
    directory: String.raw`C:\work\cluster\templates\config\kubernetes\apps\default\echo\app`,
    documents: [
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'OCIRepository',
        metadata: { name: 'echo' },
        spec: {
          interval: '15m',
          layerSelector: { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', operation: 'copy' },
          ref: { tag: '0.1.0' },
          url: 'oci://ghcr.io/owner/charts/echo',
        },
      },
    ],
  },
  'SOPS secret (secret.sops.yaml.j2)': {
    directory: `${POSIX_APP}/app`,
    documents: [
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'echo-secret' },
        stringData: { API_TOKEN: maskJinja('#{ cluster_yaml_key }#') },
      },
    ],
  },
  'Namespace (namespace.yaml.j2)': {
    directory: '/work/cluster/templates/config/kubernetes/apps/network',
    documents: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'network', annotations: { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' } } }],
  },
  'HTTPRoute through an Envoy gateway': {
    directory: `${POSIX_APP}/app`,
    documents: [
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'echo' },
        spec: {
          hostnames: ['echo.${SECRET_DOMAIN}'],
          parentRefs: [{ name: 'envoy-external', namespace: 'network', sectionName: 'https' }],
          rules: [{ backendRefs: [{ name: 'echo', port: 80 }] }],
        },
      },
    ],
  },
  'app-template route values (HelmRelease values)': {
    directory: `${POSIX_APP}/app`,
    documents: [
      {
        route: {
          app: {
            hostnames: ['{{ .Release.Name }}.${SECRET_DOMAIN}'],
            parentRefs: [{ name: 'envoy-external', namespace: 'network', sectionName: 'https' }],
            rules: [{ backendRefs: [{ identifier: 'app', port: 80 }] }],
          },
        },
      },
    ],
  },
  'Gated block (#% if x_enabled %#)': {
    directory: '/work/cluster/templates/config/kubernetes/apps/kube-system',
    selected: '  - ./spegel/ks.yaml',
    documents: [['./spegel/ks.yaml']],
  },
};

test('every snippet has a prefix, a description and a body in valid snippet syntax', () => {
  const prefixes = new Set<string>();
  for (const [name, snippet] of Object.entries(snippets)) {
    assert.ok(snippet.description.length > 20, `${name} explains itself`);
    for (const prefix of [snippet.prefix].flat()) {
      assert.ok(!prefixes.has(prefix), `prefix ${prefix} is unique`);
      prefixes.add(prefix);
    }
    assert.doesNotThrow(() => parseSnippet(bodyText(snippet)), name);
  }
  assert.ok([...prefixes].some((p) => p.startsWith('ct-')));
});

test('the snippet syntax check rejects the mistakes it is there for', () => {
  const bad: [string, RegExp][] = [
    ['host: "x.${SECRET_DOMAIN}"', /unknown variable SECRET_DOMAIN/],
    ['cost: $ 5', /a lone \$/],
    ['name: ${1:app', /not closed/],
    ['wait: ${2|false,true}', /missing \|/],
    ['x: ${TM_DIRECTORY/(a/$1}', /missing \//],
  ];
  for (const [body, error] of bad) assert.throws(() => parseSnippet(body), error, body);
  assert.deepEqual(parseSnippet('a ${1:b} \\$c ${2|x,y|}'), [
    { kind: 'text', value: 'a ' },
    { kind: 'tabstop', index: 1, children: [{ kind: 'text', value: 'b' }] },
    { kind: 'text', value: ' $c ' },
    { kind: 'choice', index: 2, options: ['x', 'y'] },
  ]);
});

test('every snippet is listed here with the YAML it inserts', () => {
  assert.deepEqual(Object.keys(expectations).sort(), Object.keys(snippets).sort());
});

for (const [name, expected] of Object.entries(expectations)) {
  test(`snippet "${name}" inserts valid YAML once Jinja tags are masked`, () => {
    const snippet = snippets[name];
    assert.ok(snippet, name);
    const variables = { TM_DIRECTORY: expected.directory, TM_SELECTED_TEXT: expected.selected ?? '' };
    const inserted = expandSnippet(parseSnippet(bodyText(snippet)), variables);
    assert.deepEqual(parseYamlDocuments(maskJinja(inserted)), expected.documents);
  });
}

test('makejinja delimiters in the inserted text are the cluster-template ones', () => {
  const secret = expandSnippet(parseSnippet(bodyText(snippets['SOPS secret (secret.sops.yaml.j2)'])), { TM_DIRECTORY: `${POSIX_APP}/app` });
  assert.match(secret, /^ {2}API_TOKEN: "#\{ cluster_yaml_key \}#"$/m);
  const gate = expandSnippet(parseSnippet(bodyText(snippets['Gated block (#% if x_enabled %#)'])), { TM_SELECTED_TEXT: 'x: 1' });
  assert.equal(gate, '#% if feature_enabled %#\nx: 1\n#% endif %#');
});

test('an unsaved file (no directory) gets the generic names app and namespace', () => {
  const ks = expandSnippet(parseSnippet(bodyText(snippets['Flux Kustomization (ks.yaml.j2)'])), { TM_DIRECTORY: '' });
  assert.deepEqual(
    ks.split('\n').filter((line) => /^ {2}(path|targetNamespace):|^ {2}name:/.test(line)),
    ['  name: app', '  path: ./kubernetes/apps/namespace/app/app', '  targetNamespace: namespace'],
  );
});
