// Unit tests for the CUE schema reader: every construct of the cluster-template schema files, the
// notes for what is skipped, broken and garbage input, and the converted schema working in ajv.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { convertRe2Pattern, readCueSchema } from '../../server/src/services/cluster/cueSchema';
import { isFqdn } from '../../server/src/services/cluster/formats';
import { parseCidr } from '../../server/src/services/cluster/ipv4';
import type { JsonSchema, SchemaReadResult } from '../../server/src/services/cluster/schemaTypes';

const ORIGIN = { 'x-origin': 'workspace-cue' } as const;

/** A property as the reader emits it: the constraint plus its origin. */
function prop(schema: JsonSchema): JsonSchema {
  return { ...schema, ...ORIGIN };
}

function read(text: string): SchemaReadResult {
  return readCueSchema(text, 'test.cue');
}

/** Field lines inside a closed `#Config` that the file then uses; the first field is on line 2. */
function config(...lines: string[]): string {
  return ['#Config: {', ...lines.map((line) => `\t${line}`), '}', '#Config', ''].join('\n');
}

/** The whole result for a closed #Config holding these properties. */
function closed(properties: Record<string, JsonSchema>, required: string[], notes: string[] = []): SchemaReadResult {
  const schema: JsonSchema = { type: 'object', properties };
  if (required.length > 0) schema.required = required;
  schema.additionalProperties = false;
  return { schema, isClosed: true, notes };
}

const CROSS_FIELD = 'skipped (references to other fields are not converted).';
const IPV6_NOTE = 'net.IPCIDR is read as an IPv4 CIDR (format ipv4-cidr); CUE also accepts IPv6 CIDRs.';

// Shaped like the January-2026 cluster.schema.cue (our own text, the same constructs).
const CLUSTER_FIXTURE = `package config

import (
	"net"
)

#Config: {
	node_cidr: net.IPCIDR & !=cluster_pod_cidr & !=cluster_svc_cidr
	node_dns_servers?: [...net.IPv4]
	node_default_gateway?: net.IPv4 & !=""
	node_vlan_tag?: string & !=""
	cluster_pod_cidr: *"10.42.0.0/16" | net.IPCIDR & !=node_cidr & !=cluster_svc_cidr
	cluster_svc_cidr: *"10.43.0.0/16" | net.IPCIDR & !=node_cidr & !=cluster_pod_cidr
	cluster_api_addr: net.IPv4
	cluster_api_tls_sans?: [...net.FQDN]
	repository_name: string
	repository_visibility?: *"public" | "private"
	cloudflare_domain: net.FQDN
	cilium_loadbalancer_mode?: *"dsr" | "snat"
}

#Config
`;

// Shaped like the January-2026 nodes.schema.cue: a list of a second definition, a hidden uniqueness check
// over comprehensions, and a name pattern whose CUE string escapes a dash as `\\-`.
const NODES_FIXTURE = String.raw`package config

import (
	"net"
	"list"
)

#Config: {
	nodes: [...#Node]
	_nodes_check: {
		name: list.UniqueItems() & [for item in nodes {item.name}]
		address: list.UniqueItems() & [for item in nodes {item.address}]
	}
}

#Node: {
	name:          =~"^[a-z0-9][a-z0-9\\-]{0,61}[a-z0-9]$|^[a-z0-9]$" & !="global" & !="controller" & !="worker"
	address:       net.IPv4
	controller:    bool
	mac_addr:      =~"^([0-9a-f]{2}[:]){5}([0-9a-f]{2})$"
	mtu?:          >=1450 & <=9000
	secureboot?:   bool
	kernel_modules?: [...string]
}

#Config
`;

test('a January-2026 style cluster schema converts key by key, with notes for what it cannot express', () => {
  const cidr = { type: 'string', format: 'ipv4-cidr' } as const;
  const ipv4 = { type: 'string', format: 'ipv4' } as const;
  assert.deepEqual(
    read(CLUSTER_FIXTURE),
    closed(
      {
        node_cidr: prop(cidr),
        node_dns_servers: prop({ type: 'array', items: ipv4 }),
        node_default_gateway: prop({ ...ipv4, minLength: 1 }),
        node_vlan_tag: prop({ type: 'string', minLength: 1 }),
        cluster_pod_cidr: prop({ ...cidr, default: '10.42.0.0/16' }),
        cluster_svc_cidr: prop({ ...cidr, default: '10.43.0.0/16' }),
        cluster_api_addr: prop(ipv4),
        cluster_api_tls_sans: prop({ type: 'array', items: { type: 'string', format: 'fqdn' } }),
        repository_name: prop({ type: 'string' }),
        repository_visibility: prop({ type: 'string', enum: ['public', 'private'], default: 'public' }),
        cloudflare_domain: prop({ type: 'string', format: 'fqdn' }),
        cilium_loadbalancer_mode: prop({ type: 'string', enum: ['dsr', 'snat'], default: 'dsr' }),
      },
      // The two CIDRs with defaults need not be written: CUE fills them in.
      ['node_cidr', 'cluster_api_addr', 'repository_name', 'cloudflare_domain'],
      [
        `test.cue:8: node_cidr: ${IPV6_NOTE}`,
        `test.cue:8: node_cidr: cross-field constraints !=cluster_pod_cidr, !=cluster_svc_cidr ${CROSS_FIELD}`,
        `test.cue:12: cluster_pod_cidr: cross-field constraints !=node_cidr, !=cluster_svc_cidr ${CROSS_FIELD}`,
        `test.cue:13: cluster_svc_cidr: cross-field constraints !=node_cidr, !=cluster_pod_cidr ${CROSS_FIELD}`,
      ],
    ),
  );
});

test('a January-2026 style nodes schema inlines #Node as the closed item schema and skips _nodes_check', () => {
  assert.deepEqual(
    read(NODES_FIXTURE),
    closed(
      {
        nodes: prop({
          type: 'array',
          items: {
            type: 'object',
            properties: {
              // The CUE string "\\-" is the regex \- : kept escaped inside the class, valid in unicode mode.
              name: prop({
                type: 'string',
                pattern: String.raw`^[a-z0-9][a-z0-9\-]{0,61}[a-z0-9]$|^[a-z0-9]$`,
                not: { enum: ['global', 'controller', 'worker'] },
              }),
              address: prop({ type: 'string', format: 'ipv4' }),
              controller: prop({ type: 'boolean' }),
              mac_addr: prop({ type: 'string', pattern: '^([0-9a-f]{2}[:]){5}([0-9a-f]{2})$' }),
              mtu: prop({ type: 'number', minimum: 1450, maximum: 9000 }),
              secureboot: prop({ type: 'boolean' }),
              kernel_modules: prop({ type: 'array', items: { type: 'string' } }),
            },
            required: ['name', 'address', 'controller', 'mac_addr'],
            additionalProperties: false,
          },
        }),
      },
      ['nodes'],
      [
        'test.cue:10: hidden field _nodes_check skipped: hidden fields are not part of the data; the checks inside it (list.UniqueItems(), "for" comprehension) are not converted.',
      ],
    ),
  );
});

function compileWithAjv(schema: JsonSchema): (value: unknown) => boolean {
  // The same engine and formats the validator uses: unicode regexes, our ipv4-cidr and fqdn.
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv, ['ipv4']);
  ajv.addFormat('ipv4-cidr', { type: 'string', validate: (text: string) => parseCidr(text) !== undefined });
  ajv.addFormat('fqdn', { type: 'string', validate: isFqdn });
  const validate = ajv.compile(schema);
  return (value) => validate(value) === true;
}

test('the converted January-2026 schemas compile in ajv and accept and reject what cue vet would', () => {
  const isValidNodes = compileWithAjv(read(NODES_FIXTURE).schema);
  const node = { name: 'k8s-1', address: '10.0.0.10', controller: true, mac_addr: 'aa:bb:cc:dd:ee:ff' };
  assert.equal(isValidNodes({ nodes: [node] }), true);
  assert.equal(isValidNodes({ nodes: [{ ...node, name: 'a' }] }), true);
  assert.equal(isValidNodes({ nodes: [{ ...node, name: '-bad' }] }), false);
  assert.equal(isValidNodes({ nodes: [{ ...node, name: 'worker' }] }), false);
  assert.equal(isValidNodes({ nodes: [{ ...node, mtu: 1400 }] }), false);
  assert.equal(isValidNodes({ nodes: [{ ...node, typo: 1 }] }), false);
  assert.equal(isValidNodes({ nodes: [{ ...node, address: '10.0.0.256' }] }), false);
  assert.equal(isValidNodes({ nodes: [node], extra: 1 }), false);

  const isValidCluster = compileWithAjv(read(CLUSTER_FIXTURE).schema);
  const cluster = { node_cidr: '10.0.0.0/24', cluster_api_addr: '10.0.0.5', repository_name: 'o/r', cloudflare_domain: 'example.com' };
  assert.equal(isValidCluster(cluster), true);
  assert.equal(isValidCluster({ ...cluster, node_vlan_tag: '' }), false);
  assert.equal(isValidCluster({ ...cluster, cilium_loadbalancer_mode: 'bgp' }), false);
  assert.equal(isValidCluster({ ...cluster, cluster_pod_cidr: '10.42.0.0' }), false);
  assert.equal(isValidCluster({ ...cluster, cloudflare_domain: 'https://example.com' }), false);
  assert.equal(isValidCluster({ ...cluster, unknown_key: 1 }), false);
  const { cloudflare_domain: _omitted, ...withoutDomain } = cluster;
  assert.equal(isValidCluster(withoutDomain), false);
});

test('scalar types and CUE predeclared bounded integers', () => {
  assert.deepEqual(
    read(config('a: string', 'b: bool', 'c: int', 'd: number', 'e: float', 'f: uint8', 'g: null', 'h: _', 'i: uint')),
    closed(
      {
        a: prop({ type: 'string' }),
        b: prop({ type: 'boolean' }),
        c: prop({ type: 'integer' }),
        d: prop({ type: 'number' }),
        e: prop({ type: 'number' }),
        f: prop({ type: 'integer', minimum: 0, maximum: 255 }),
        g: prop({ type: 'null', const: null }),
        h: prop({}),
        i: prop({ type: 'integer', minimum: 0 }),
      },
      // `g: null` is concrete, so the data need not hold it.
      ['a', 'b', 'c', 'd', 'e', 'f', 'h', 'i'],
    ),
  );
});

test('optional, required and defaulted keys', () => {
  assert.deepEqual(
    read(config('a?: string', 'b!: string', 'c: *"x" | string', 'd: "fixed"', 'e?: *1 | int', 'f: string | *"y"')),
    closed(
      {
        a: prop({ type: 'string' }),
        b: prop({ type: 'string' }),
        c: prop({ type: 'string', default: 'x' }),
        d: prop({ type: 'string', const: 'fixed' }),
        e: prop({ type: 'integer', default: 1 }),
        f: prop({ type: 'string', default: 'y' }),
      },
      ['b'],
    ),
  );
});

test('disjunctions of literals become enums with their default; mixed ones become anyOf or a type list', () => {
  assert.deepEqual(
    read(
      config(
        'mode?: *"dsr" | "snat"',
        'level?: *"info" | "debug" | "info"',
        'pkce?: *"" | "S256" | "plain"',
        'count?: *3 | 5 | 7',
        'ratio?: 0.5 | 1',
        'flag?: *false | true',
        'mixed?: "auto" | int',
        'either?: string | int',
        'tags?: *[] | [...string]',
      ),
    ),
    closed(
      {
        mode: prop({ type: 'string', enum: ['dsr', 'snat'], default: 'dsr' }),
        level: prop({ type: 'string', enum: ['info', 'debug'], default: 'info' }),
        pkce: prop({ type: 'string', enum: ['', 'S256', 'plain'], default: '' }),
        count: prop({ type: 'integer', enum: [3, 5, 7], default: 3 }),
        ratio: prop({ type: 'number', enum: [0.5, 1] }),
        flag: prop({ type: 'boolean', enum: [false, true], default: false }),
        mixed: prop({ anyOf: [{ type: 'integer' }, { const: 'auto' }] }),
        either: prop({ type: ['string', 'integer'] }),
        tags: prop({ type: 'array', items: { type: 'string' }, default: [] }),
      },
      [],
    ),
  );
});

test('literals another alternative already accepts stay as the default or as examples', () => {
  assert.deepEqual(
    read(
      config(
        'prefix?: *"oidc:" | "-" | string',
        'claim?: *"email" | "sub" | string & !=""',
        'cidr?: *"10.42.0.0/16" | net.IPCIDR',
        'gw?: *"" | net.IPv4',
      ),
    ),
    closed(
      {
        prefix: prop({ type: 'string', default: 'oidc:', examples: ['-'] }),
        claim: prop({ type: 'string', minLength: 1, default: 'email', examples: ['sub'] }),
        cidr: prop({ type: 'string', format: 'ipv4-cidr', default: '10.42.0.0/16' }),
        // "" is no IPv4 address, so it stays a value of its own.
        gw: prop({ anyOf: [{ type: 'string', format: 'ipv4' }, { const: '' }], default: '' }),
      },
      [],
      [`test.cue:4: cidr: ${IPV6_NOTE}`],
    ),
  );
});

test('defaults that are ambiguous or not concrete are not taken, with a note', () => {
  assert.deepEqual(
    read(config('a?: *"x" | *"y" | string', 'b?: *string | int', 'c?: *"z" | *"z" | string')),
    closed(
      {
        a: prop({ type: 'string', examples: ['x', 'y'] }),
        b: prop({ type: ['string', 'integer'] }),
        c: prop({ type: 'string', default: 'z' }),
      },
      [],
      [
        'test.cue:2: a: several different defaults are marked with "*"; no default is taken.',
        'test.cue:3: b: a default marked with "*" is not a concrete value; no default is taken.',
      ],
    ),
  );
});

test('net.IPv4, net.IPCIDR (one IPv6 note per file), net.FQDN; other net validators are skipped', () => {
  assert.deepEqual(
    read(config('a: net.IPv4', 'b: net.IPCIDR', 'c: [...net.IPCIDR]', 'd: net.FQDN', 'e: net.IPv6')),
    closed(
      {
        a: prop({ type: 'string', format: 'ipv4' }),
        b: prop({ type: 'string', format: 'ipv4-cidr' }),
        c: prop({ type: 'array', items: { type: 'string', format: 'ipv4-cidr' } }),
        d: prop({ type: 'string', format: 'fqdn' }),
        e: prop({}),
      },
      ['a', 'b', 'c', 'd', 'e'],
      [`test.cue:3: b: ${IPV6_NOTE}`, 'test.cue:6: e: `net.IPv6` is not supported; the constraint is skipped.'],
    ),
  );
});

test('imports may be aliased; an unknown package member is not resolved', () => {
  const text = 'import n "net"\n\n#Config: {\n\ta: n.IPv4\n\tb: foo.Bar\n}\n#Config\n';
  assert.deepEqual(
    read(text),
    closed({ a: prop({ type: 'string', format: 'ipv4' }), b: prop({}) }, ['a', 'b'], [
      'test.cue:5: b: the reference "foo.Bar" cannot be resolved; the constraint is skipped.',
    ]),
  );
});

test('=~ and !~ become patterns, with RE2 escapes turned into JavaScript ones', () => {
  assert.deepEqual(
    read(
      config(
        String.raw`name: =~"^[a-z0-9][a-z0-9\\-]{0,61}[a-z0-9]$"`,
        String.raw`version: =~"^[0-9]+\\.[0-9]+$"`,
        String.raw`colon: =~"^a\\:b$"`,
        String.raw`raw: =~#"^\d+$"#`,
        String.raw`notx: !~"^x-"`,
        String.raw`key: string & =~"^sk-" & =~".{32,}"`,
        String.raw`ci: =~"(?i)^abc$"`,
        String.raw`posix: =~"^[[:alpha:]]+$"`,
        String.raw`broken: =~"("`,
      ),
    ),
    closed(
      {
        name: prop({ type: 'string', pattern: String.raw`^[a-z0-9][a-z0-9\-]{0,61}[a-z0-9]$` }),
        version: prop({ type: 'string', pattern: String.raw`^[0-9]+\.[0-9]+$` }),
        colon: prop({ type: 'string', pattern: '^a:b$' }),
        raw: prop({ type: 'string', pattern: String.raw`^\d+$` }),
        notx: prop({ type: 'string', not: { pattern: '^x-' } }),
        key: prop({ type: 'string', pattern: '^sk-', allOf: [{ pattern: '.{32,}' }] }),
        ci: prop({ type: 'string' }),
        posix: prop({ type: 'string', pattern: '^[A-Za-z]+$' }),
        broken: prop({ type: 'string' }),
      },
      ['name', 'version', 'colon', 'raw', 'notx', 'key', 'ci', 'posix', 'broken'],
      [
        'test.cue:8: ci: the pattern "(?i)^abc$" is skipped (inline flags such as (?i) have no JavaScript equivalent).',
        'test.cue:10: broken: the pattern "(" is skipped (it is not a valid regular expression in JavaScript).',
      ],
    ),
  );
});

test('RE2 patterns convert to equivalent unicode-mode JavaScript patterns', () => {
  const cases: [string, string][] = [
    [String.raw`a\-b`, 'a-b'],
    [String.raw`[\-x]`, String.raw`[\-x]`],
    [String.raw`a\.b\/c`, String.raw`a\.b\/c`],
    [String.raw`\#\@\,`, '#@,'],
    [String.raw`\s`, String.raw`[\t\n\f\r ]`],
    [String.raw`[\sx]`, String.raw`[\t\n\f\r x]`],
    [String.raw`\S+`, String.raw`[^\t\n\f\r ]+`],
    [String.raw`\Aabc\z`, '^abc$'],
    [String.raw`\bword\B\d\w\D\W`, String.raw`\bword\B\d\w\D\W`],
    [String.raw`(?P<year>\d{4})-(?:\d{2})`, String.raw`(?<year>\d{4})-(?:\d{2})`],
    [String.raw`\x{263a}\x41`, String.raw`\u{263a}\x41`],
    [String.raw`\pL\PL\p{Greek}\p{^Lu}`, String.raw`\p{L}\P{L}\p{Script=Greek}\P{Lu}`],
    [String.raw`\Q*.\E+`, String.raw`\*\.+`],
    ['a{,3}}', String.raw`a\{,3\}\}`],
    ['a{2,}b{1,3}', 'a{2,}b{1,3}'],
    [']a[]b]', String.raw`\]a[\]b]`],
    ['[[:digit:][:upper:]_]', '[0-9A-Z_]'],
    [String.raw`\a`, String.raw`\x07`],
  ];
  for (const [re2, javascript] of cases) {
    assert.deepEqual(convertRe2Pattern(re2), { pattern: javascript }, re2);
    assert.doesNotThrow(() => new RegExp(javascript, 'u'), javascript);
  }
  assert.equal(new RegExp((convertRe2Pattern(String.raw`^a\-b\:c$`) as { pattern: string }).pattern, 'u').test('a-b:c'), true);
});

test('RE2 patterns without a JavaScript equivalent say why', () => {
  const cases: [string, string][] = [
    ['(?i)abc', 'inline flags such as (?i) have no JavaScript equivalent'],
    ['(?s:a.b)', 'inline flags such as (?i) have no JavaScript equivalent'],
    ['[[:foo:]]', 'the class [:foo:] is not supported'],
    ['[[:^alpha:]]', 'the class [:^alpha:] is not supported'],
    [String.raw`(a)\1`, String.raw`the escape \1 is not supported`],
    [String.raw`[\S]`, String.raw`the escape \S is not supported`],
    [String.raw`\C`, String.raw`the escape \C is not supported`],
    ['[a-', 'it has an unclosed character class'],
    ['abc\\', 'it ends with a lone backslash'],
    [String.raw`\xZZ`, String.raw`it has a malformed \x escape`],
    [String.raw`\p{1}`, String.raw`it has a malformed \p escape`],
    ['a**', 'it is not a valid regular expression in JavaScript'],
  ];
  for (const [re2, problem] of cases) assert.deepEqual(convertRe2Pattern(re2), { problem }, re2);
});

test('numeric bounds become minimum/maximum; string bounds and cross-field bounds are skipped', () => {
  assert.deepEqual(
    read(config('a: >=1 & <=10', 'b: int & >0 & <100', 'c: float & >=0.5', 'd: >=-5', 'e: string & >="a"', 'f: int & >=g', 'g: int')),
    closed(
      {
        a: prop({ type: 'number', minimum: 1, maximum: 10 }),
        b: prop({ type: 'integer', exclusiveMinimum: 0, exclusiveMaximum: 100 }),
        c: prop({ type: 'number', minimum: 0.5 }),
        d: prop({ type: 'number', minimum: -5 }),
        e: prop({ type: 'string' }),
        f: prop({ type: 'integer' }),
        g: prop({ type: 'integer' }),
      },
      ['a', 'b', 'c', 'd', 'e', 'f', 'g'],
      [
        'test.cue:6: e: the bound >="a" compares strings lexically; it is skipped.',
        `test.cue:7: f: cross-field constraint >=g ${CROSS_FIELD}`,
      ],
    ),
  );
});

test('!= a literal becomes not/const, != "" on a string becomes minLength 1, != a field is skipped', () => {
  assert.deepEqual(
    read(config('a: string & !=""', 'b: !=""', 'c: int & !=0', 'd: string & !="x" & !=""', 'e: string & !=a', 'f: !="p" & !="q"')),
    closed(
      {
        a: prop({ type: 'string', minLength: 1 }),
        b: prop({ not: { const: '' } }),
        c: prop({ type: 'integer', not: { const: 0 } }),
        d: prop({ type: 'string', not: { const: 'x' }, minLength: 1 }),
        e: prop({ type: 'string' }),
        f: prop({ not: { enum: ['p', 'q'] } }),
      },
      ['a', 'b', 'c', 'd', 'e', 'f'],
      [`test.cue:6: e: cross-field constraint !=a ${CROSS_FIELD}`],
    ),
  );
});

test('lists: [...T], list validators, literal lists; fixed-length lists are only checked as lists', () => {
  assert.deepEqual(
    read(
      config(
        'a: [...string]',
        'b: [...]',
        'c: list.UniqueItems() & [...string]',
        'd: [...int] & list.MinItems(1) & list.MaxItems(3)',
        'e: ["x", "y"]',
        'f: [string, int]',
        'g: [...string & !=""]',
        'h: [...{name: string}]',
      ),
    ),
    closed(
      {
        a: prop({ type: 'array', items: { type: 'string' } }),
        b: prop({ type: 'array' }),
        c: prop({ type: 'array', uniqueItems: true, items: { type: 'string' } }),
        d: prop({ type: 'array', items: { type: 'integer' }, minItems: 1, maxItems: 3 }),
        e: prop({ type: 'array', const: ['x', 'y'] }),
        f: prop({ type: 'array' }),
        g: prop({ type: 'array', items: { type: 'string', minLength: 1 } }),
        h: prop({
          type: 'array',
          items: { type: 'object', properties: { name: prop({ type: 'string' }) }, required: ['name'], additionalProperties: false },
        }),
      },
      ['a', 'b', 'c', 'd', 'f', 'g', 'h'],
      ['test.cue:7: f: a list with fixed elements is not converted; only "a list" is checked.'],
    ),
  );
});

test('inline structs: closed inside a definition, field patterns, and `...` opening them', () => {
  assert.deepEqual(
    read(
      config(
        'vm?: {',
        '\tcores?: *4 | int & >=1 & <=64',
        '\tbios?: *"ovmf" | "seabios"',
        '\tname: string',
        '}',
        'roles?: {',
        '\t[string]: "OWNER" | "VIEWER"',
        '}',
        'labels?: {',
        '\t[=~"^x-"]: string',
        '}',
        'open?: {',
        '\tknown?: bool',
        '\t...',
        '}',
        'limits?: {',
        '\t[string]: int',
        '\tcpu?: >0',
        '}',
      ),
    ),
    closed(
      {
        vm: prop({
          type: 'object',
          properties: {
            cores: prop({ type: 'integer', minimum: 1, maximum: 64, default: 4 }),
            bios: prop({ type: 'string', enum: ['ovmf', 'seabios'], default: 'ovmf' }),
            name: prop({ type: 'string' }),
          },
          required: ['name'],
          additionalProperties: false,
        }),
        roles: prop({ type: 'object', properties: {}, additionalProperties: { type: 'string', enum: ['OWNER', 'VIEWER'] } }),
        labels: prop({ type: 'object', properties: {}, patternProperties: { '^x-': { type: 'string' } }, additionalProperties: false }),
        open: prop({ type: 'object', properties: { known: prop({ type: 'boolean' }) } }),
        // A pattern constraint applies to declared fields too.
        limits: prop({
          type: 'object',
          properties: { cpu: prop({ type: 'integer', exclusiveMinimum: 0 }) },
          additionalProperties: { type: 'integer' },
        }),
      },
      [],
    ),
  );
});

test('a field pattern that cannot be read opens the struct, with a note', () => {
  assert.deepEqual(
    read(config('hosts?: {', '\t[net.FQDN]: string', '}')),
    closed({ hosts: prop({ type: 'object', properties: {} }) }, [], [
      'test.cue:3: hosts: the field pattern [`net.FQDN`] is not read; other keys are allowed here.',
    ]),
  );
});

test('strings.MinRunes and MaxRunes become string lengths; other functions are skipped', () => {
  const text = 'import "strings"\n\n#Config: {\n\tslug: string & strings.MinRunes(2) & strings.MaxRunes(63)\n\tother: strings.HasPrefix("x")\n}\n#Config\n';
  assert.deepEqual(
    read(text),
    closed({ slug: prop({ type: 'string', minLength: 2, maxLength: 63 }), other: prop({}) }, ['slug', 'other'], [
      'test.cue:5: other: `strings.HasPrefix("x")` is not supported; the constraint is skipped.',
    ]),
  );
});

test('hidden fields are skipped; an `if` comprehension adds its fields as optional', () => {
  assert.deepEqual(
    read(config('_internal: string', 'visible: string', 'if visible != "" {', '\textra?: int', '\tmore: bool', '}')),
    closed(
      { visible: prop({ type: 'string' }), extra: prop({ type: 'integer' }), more: prop({ type: 'boolean' }) },
      ['visible'],
      [
        'test.cue:4: "if" comprehension: its clauses are not evaluated; the fields it adds (extra, more) are read as optional.',
        'test.cue:2: hidden field _internal skipped: hidden fields are not part of the data.',
      ],
    ),
  );
});

test('a `for` comprehension adding computed keys leaves the struct open', () => {
  assert.deepEqual(read(config('known: string', 'for k, v in {a: 1} {', '\t"\\(k)_x": v', '}')), {
    schema: { type: 'object', properties: { known: prop({ type: 'string' }) }, required: ['known'] },
    isClosed: false,
    notes: [
      'test.cue:4: a field with a computed name is not read; other keys are allowed here.',
      'test.cue:3: "for" comprehension: its clauses are not evaluated; it adds no fields that can be read, and other keys are allowed here.',
    ],
  });
});

test('doc comments become description and links; attributes and comments carry no constraint; multi-line strings', () => {
  const text = [
    '#Config: {',
    '\t// The load balancer mode.',
    '\t// REF: https://docs.example.org/lb',
    '\tmode?: *"dsr" | "snat" @go(Mode)',
    '',
    '\tname: string // the node name',
    '',
    '\t// Section heading, separated by a blank line.',
    '',
    '\tmotd?: *"""',
    '\t\tHello',
    '\t\t  world',
    '\t\t""" | string',
    '\t@protobuf(1)',
    '}',
    '#Config',
  ].join('\n');
  assert.deepEqual(
    read(text),
    closed(
      {
        mode: prop({
          type: 'string',
          enum: ['dsr', 'snat'],
          default: 'dsr',
          description: 'The load balancer mode.',
          'x-ref': ['https://docs.example.org/lb'],
        }),
        name: prop({ type: 'string', description: 'the node name' }),
        motd: prop({ type: 'string', default: 'Hello\n  world' }),
      },
      ['name'],
    ),
  );
});

test('string escapes and number literals decode as CUE does', () => {
  assert.deepEqual(
    read(config(String.raw`a?: *"tab\tquote\"\u00e9" | string`, 'b?: *1_000 | int', 'c?: *0x10 | int', 'd?: *2Ki | int', 'e?: *1.5e1 | number')),
    closed(
      {
        a: prop({ type: 'string', default: 'tab\tquote"é' }),
        b: prop({ type: 'integer', default: 1000 }),
        c: prop({ type: 'integer', default: 16 }),
        d: prop({ type: 'integer', default: 2048 }),
        e: prop({ type: 'number', default: 15 }),
      },
      [],
    ),
  );
});

test('a definition embedded in another adds its fields; one joined with & restricts them', () => {
  const embedded = '#Base: {\n\ta: string\n}\n#Config: {\n\t#Base\n\tb?: int\n}\n#Config\n';
  assert.deepEqual(read(embedded), closed({ a: prop({ type: 'string' }), b: prop({ type: 'integer' }) }, ['a']));

  const conjoined = '#Base: {\n\ta: string\n}\n#Config: #Base & {\n\tb?: int\n}\n#Config\n';
  assert.deepEqual(
    read(conjoined),
    closed({ a: prop({ type: 'string' }) }, ['a'], [
      'test.cue:5: b: a closed definition joined with "&" does not allow this field (cue vet rejects such a schema); it is left out.',
    ]),
  );

  // Two literals inside one definition are closed only once unified: both fields are allowed.
  const literals = '#Config: {a: string} & {b?: int}\n#Config\n';
  assert.deepEqual(read(literals), closed({ a: prop({ type: 'string' }), b: prop({ type: 'integer' }) }, ['a']));
});

test('a definition that contains itself is expanded once', () => {
  const text = '#Config: {\n\troot: #Tree\n}\n#Tree: {\n\tname: string\n\tchildren?: [...#Tree]\n}\n#Config\n';
  assert.deepEqual(
    read(text),
    closed(
      {
        root: prop({
          type: 'object',
          properties: {
            name: prop({ type: 'string' }),
            children: prop({ type: 'array', items: { type: 'object', properties: {} } }),
          },
          required: ['name'],
          additionalProperties: false,
        }),
      },
      ['root'],
      ['test.cue:6: root.children[]: #Tree refers to itself; the recursive part is not expanded and allows any keys.'],
    ),
  );
});

test('let bindings and non-struct definitions resolve; unknown references are skipped', () => {
  const text = 'let port = int & >0\n#Name: string & !=""\n#Config: {\n\ta: port\n\tb: #Name\n\tc: #Missing\n}\n#Config\n';
  assert.deepEqual(
    read(text),
    closed(
      { a: prop({ type: 'integer', exclusiveMinimum: 0 }), b: prop({ type: 'string', minLength: 1 }), c: prop({}) },
      ['a', 'b', 'c'],
      ['test.cue:6: c: the reference "#Missing" cannot be resolved; the constraint is skipped.'],
    ),
  );
});

test('top-level fields without a definition give an open schema', () => {
  assert.deepEqual(read('package config\n\na: string\nb?: int\n'), {
    schema: { type: 'object', properties: { a: prop({ type: 'string' }), b: prop({ type: 'integer' }) }, required: ['a'] },
    isClosed: false,
    notes: [],
  });
});

test('a #Config that the file never uses is not applied, as cue vet would not', () => {
  assert.deepEqual(read('#Config: {\n\ta: string\n}\n'), {
    schema: {},
    isClosed: false,
    notes: ['test.cue:1: #Config is defined but not used at the top level (no bare "#Config" line), so cue vet would not apply it; nothing was read.'],
  });
});

test('constructs outside the supported subset keep their key, unconstrained, with a note each', () => {
  assert.deepEqual(
    read(config('a: 1 + 2', 'b: "x-\\(a)"', 'c: len(b) & >0', 'd: time.Duration', 'e: _|_', "f: 'bytes'", 'g: bytes')),
    closed(
      {
        a: prop({}),
        b: prop({}),
        c: prop({ type: 'number', exclusiveMinimum: 0 }),
        d: prop({}),
        e: prop({}),
        f: prop({}),
        g: prop({}),
      },
      ['a', 'b', 'c', 'd', 'e', 'f', 'g'],
      [
        'test.cue:2: a: an expression with the operator "+" is not supported; the constraint is skipped.',
        'test.cue:3: b: string interpolation is not supported; the constraint is skipped.',
        'test.cue:4: c: `len(b)` is not supported; the constraint is skipped.',
        'test.cue:5: d: `time.Duration` is not supported; the constraint is skipped.',
        'test.cue:6: e: _|_ (bottom) is not converted; the constraint is skipped.',
        'test.cue:7: f: a bytes literal is not supported; the constraint is skipped.',
        'test.cue:8: g: bytes values are not supported; the constraint is skipped.',
      ],
    ),
  );
});

test('a syntax error skips one declaration; a broken value keeps its key unconstrained', () => {
  const text = '#Config: {\n\tgood: string\n\tbroken: "unterminated\n\talsoGood?: int\n\t: nothing\n}\n#Config\n';
  assert.deepEqual(
    read(text),
    closed({ good: prop({ type: 'string' }), broken: prop({}), alsoGood: prop({ type: 'integer' }) }, ['good', 'broken'], [
      'test.cue:3: syntax error: unterminated string; the key broken is kept without constraints.',
      'test.cue:5: syntax error: unexpected ":"; this declaration is skipped.',
    ]),
  );
});

test('garbage gives notes and an empty schema, never an exception', () => {
  const nothing = 'test.cue:1: no #Config struct or top-level fields found; nothing was read.';
  assert.deepEqual(read(''), { schema: {}, isClosed: false, notes: [nothing] });
  assert.deepEqual(read('this is not cue at all'), {
    schema: {},
    isClosed: false,
    notes: ['test.cue:1: syntax error: unexpected "is"; this declaration is skipped.', nothing],
  });
  assert.deepEqual(read('}}} ]]'), {
    schema: {},
    isClosed: false,
    notes: ['test.cue:1: syntax error: unexpected "}"; this declaration is skipped.', 'test.cue:1: syntax error: unexpected "]"; this declaration is skipped.', nothing],
  });
});

test('syntax errors are reported even where the schema is not used, as cue vet fails on them', () => {
  // A file cut off in the middle: #Config is never closed, so it is never used either.
  assert.deepEqual(read('#Config: {\n\ta: string\n\tb: [1,\n'), {
    schema: {},
    isClosed: false,
    notes: [
      'test.cue:4: syntax error: the file ends too early; the key b is kept without constraints.',
      'test.cue:4: syntax error: expected "}" but found the end of the file; the key #Config is kept without constraints.',
      'test.cue:1: #Config is defined but not used at the top level (no bare "#Config" line), so cue vet would not apply it; nothing was read.',
    ],
  });
  assert.deepEqual(read('#Config: string\n#Config\n'), {
    schema: {},
    isClosed: false,
    notes: ['test.cue:2: the embedded value `#Config` is not read.', 'test.cue:1: no #Config struct or top-level fields found; nothing was read.'],
  });
});

test('nesting deeper than 200 levels is a syntax error, not a crash', () => {
  const deepList = read(`#Config: {\n\ta: ${'['.repeat(5000)}${']'.repeat(5000)}\n\tb: int\n}\n#Config\n`);
  assert.deepEqual(
    deepList,
    closed({ a: prop({}), b: prop({ type: 'integer' }) }, ['a', 'b'], [
      'test.cue:2: syntax error: values are nested more than 200 levels deep; the key a is kept without constraints.',
    ]),
  );
  const deepStruct = read(`#Config: {\n\ta: ${'{b: '.repeat(5000)}int${'}'.repeat(5000)}\n}\n#Config\n`);
  assert.equal(deepStruct.isClosed, true);
  assert.deepEqual(deepStruct.notes, ['test.cue:2: syntax error: values are nested more than 200 levels deep; the key b is kept without constraints.']);
});

test('a field alias is a reference to that field', () => {
  assert.deepEqual(
    read(config('X=gateway: net.IPv4', 'addr: net.IPv4 & !=X')),
    closed({ gateway: prop({ type: 'string', format: 'ipv4' }), addr: prop({ type: 'string', format: 'ipv4' }) }, ['gateway', 'addr'], [
      `test.cue:3: addr: cross-field constraint !=X ${CROSS_FIELD}`,
    ]),
  );
});

test('a flood of broken lines is capped at 100 notes plus a count', () => {
  const result = read('%\n'.repeat(300));
  assert.equal(result.notes.length, 101);
  assert.equal(result.notes[0], 'test.cue:1: syntax error: unexpected character "%"; this declaration is skipped.');
  assert.equal(result.notes[100], 'test.cue: 201 more notes not shown.');
  assert.deepEqual(result.schema, {});
});

test('every prefix of the fixtures reads without throwing', () => {
  for (const fixture of [CLUSTER_FIXTURE, NODES_FIXTURE]) {
    for (let end = 0; end <= fixture.length; end++) {
      const result = read(fixture.slice(0, end));
      assert.ok(!result.notes.some((note) => note.includes('internal error')), `prefix of length ${end}: ${result.notes.join(' | ')}`);
    }
  }
});

/** A fork-sized schema (~47 KB) of our own, written the way forks write theirs: commented groups of keys. */
function largeSchema(): string {
  const lines = ['package config', '', 'import (', '\t"net"', '\t"strings"', ')', '', '#Config: {'];
  for (let i = 0; lines.join('\n').length < 47_000; i++) {
    lines.push(
      '',
      `\t// Application ${i}: an optional component with its own subdomain, replicas and storage.`,
      `\t// REF: https://docs.example.org/apps/app${i}`,
      `\tapp${i}_enabled?: *false | bool  // turns the component on`,
      `\tapp${i}_subdomain?: *"app${i}" | string & !=""  // served at app${i}.<domain>`,
      `\tapp${i}_replicas?: *1 | int & >=1 & <=10`,
      `\tapp${i}_version?: *"1.2.${i}" | string & =~"^[0-9]+\\\\.[0-9]+\\\\.[0-9]+$"  // semantic version`,
      `\tapp${i}_gateway?: net.IPv4`,
      `\tapp${i}_addr?: net.IPv4 & !=app${i}_gateway  // must differ from the gateway`,
      `\tapp${i}_slug?: string & =~"^[a-z0-9-]+$" & strings.MinRunes(2) & strings.MaxRunes(63)`,
      `\tapp${i}_roles?: [...{ name: string & !="", level?: *1 | int }]`,
    );
  }
  lines.push('}', '', '#Config', '');
  return lines.join('\n');
}

test('a fork-sized (47 KB) schema converts every key and stays closed', () => {
  const text = largeSchema();
  assert.ok(text.length >= 47_000);
  const result = read(text);
  const keys = Object.keys(result.schema.properties ?? {});
  assert.ok(keys.length > 500, `${keys.length} keys`);
  assert.equal(result.isClosed, true);
  assert.deepEqual(result.schema.properties?.app7_replicas, { type: 'integer', default: 1, minimum: 1, maximum: 10, 'x-origin': 'workspace-cue' });
});
