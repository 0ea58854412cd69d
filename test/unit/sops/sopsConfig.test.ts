// .sops.yaml as sops reads it: creation rules in order (first path_regex match wins, paths
// relative to the config's folder), recipients in every accepted form, partial-encryption
// options, stores, foreign key types, problems with lines; and Go RE2 → JavaScript regexes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { memoryFileReader } from '../../../server/src/host/fileReader';
import { generateAgeKeyPair } from '../../../server/src/engines/sops/ageKey';
import { compileGoRegex } from '../../../server/src/engines/sops/goRegex';
import {
  ageRecipientKind,
  cryptRuleOf,
  findSopsConfig,
  matchCreationRule,
  parseSopsConfig,
  partialEncryptionOf,
  pathForRules,
} from '../../../server/src/engines/sops/sopsConfig';

const A = generateAgeKeyPair().recipient;
const B = generateAgeKeyPair().recipient;
const C = generateAgeKeyPair().recipient;
/** A post-quantum hybrid recipient (the native engine encrypts for these too). */
const PQ = readFileSync(join(__dirname, '../../../../test/fixtures/sops/nobbs-terraform-provider-sops/test/age-pq.key.pub'), 'utf8').trim();

/** cluster-template's own .sops.yaml (template/config/.sops.yaml.j2, rendered). */
const CLUSTER_TEMPLATE = `---
creation_rules:
  - path_regex: talos/.*\\.sops\\.ya?ml
    mac_only_encrypted: true
    age: "${A}"
  - path_regex: (bootstrap|kubernetes)/.*\\.sops\\.ya?ml
    encrypted_regex: "^(data|stringData)$"
    mac_only_encrypted: true
    age: "${A}"
stores:
  yaml:
    indent: 2
`;

function matches(pattern: string, text: string): boolean {
  const compiled = compileGoRegex(pattern);
  assert.ok('regex' in compiled, `${pattern} should compile: ${'error' in compiled ? compiled.error : ''}`);
  return compiled.regex.test(text);
}

describe('Go regular expressions', () => {
  it('matches like Go for the syntax .sops.yaml files use', () => {
    // [pattern, text, Go's MatchString]
    const table: [string, string, boolean][] = [
      ['talos/.*\\.sops\\.ya?ml', 'talos/secret.sops.yaml', true],
      ['talos/.*\\.sops\\.ya?ml', 'talos/secret.sops.yml', true],
      ['talos/.*\\.sops\\.ya?ml', 'talos/secret.yaml', false],
      ['(bootstrap|kubernetes)/.*\\.sops\\.ya?ml', 'kubernetes/apps/x/secret.sops.yaml', true],
      ['(bootstrap|kubernetes)/.*\\.sops\\.ya?ml', 'talos/x.sops.yaml', false],
      ['^(data|stringData)$', 'stringData', true],
      ['^(data|stringData)$', 'metadata', false],
      // Unanchored, like MatchString.
      ['sops', 'a/b.sops.yaml', true],
      // Go's $ without (?m) is the end of the text only; JavaScript's is the same without the m flag.
      ['^data$', 'data\n', false],
      // Go's dot excludes \n only; JavaScript's also \r and U+2028.
      ['^a.b$', 'a\rb', true],
      ['^a.b$', 'a\u2028b', true],
      ['^a.b$', 'a\nb', false],
      ['(?s)^a.b$', 'a\nb', true],
      // (?m): ^ and $ at line boundaries (only \n).
      ['(?m)^b$', 'a\nb\nc', true],
      ['(?m)^b$', 'a\rb\rc', false],
      // Case folding, global and scoped, including Unicode orbits (k, K, KELVIN SIGN).
      ['(?i)^SECRET$', 'secret', true],
      ['^a(?i:B)c$', 'abc', true],
      ['^a(?i:B)c$', 'aBC', false],
      ['^a(?i)b|c$', 'C', true],
      ['(?i)^k$', '\u212a', true],
      ['(?i)^[^k]$', 'K', false],
      ['(?i)^[a-c]+$', 'AbC', true],
      ['^(?i)a(?-i)b$', 'Ab', true],
      ['^(?i)a(?-i)b$', 'AB', false],
      // Perl classes are ASCII; \s has no \v.
      ['^\\s$', '\u000b', false],
      ['^\\s$', '\t', true],
      ['^\\d+$', '\u0663', false],
      ['^\\w+$', 'é', false],
      ['^[^\\s]$', '\u000b', true],
      // POSIX classes, negated too.
      ['^[[:alpha:]]+$', 'Abc', true],
      ['^[[:^digit:]]+$', 'abc', true],
      ['^[[:^digit:]]+$', 'a1', false],
      ['^[[:space:]]$', '\u000b', true],
      // Unicode classes.
      ['^\\pL+$', 'héllo', true],
      ['^\\p{Greek}+$', 'αβγ', true],
      ['^\\p{^Greek}+$', 'abc', true],
      ['^\\PL$', '1', true],
      ['^\\p{Any}$', '\n', true],
      // Escapes: punctuation, octal, hex, \Q…\E.
      ['^\\-\\#\\_$', '-#_', true],
      ['^\\101$', 'A', true],
      ['^\\x41\\x{42}$', 'AB', true],
      ['^\\Qa.b*\\E$', 'a.b*', true],
      ['^\\Qa.b*\\E$', 'axbb', false],
      // Braces that are not a repeat are literals; ] first in a class is literal.
      ['^a{,2}$', 'a{,2}', true],
      ['^a{2}$', 'aa', true],
      ['^}$', '}', true],
      ['^[]a]+$', ']a]', true],
      ['^[^]a]$', 'b', true],
      // Named groups (both syntaxes), non-greedy and ungreedy repeats.
      ['^(?P<name>a+)(?<other>b)$', 'aab', true],
      ['^a+?b$', 'aab', true],
      ['(?U)^a+b$', 'aab', true],
      // An assertion may be repeated in Go; JavaScript needs a group around it.
      ['^*a', 'a', true],
      // \A and \z.
      ['\\Aab\\z', 'ab', true],
      ['\\Aab\\z', 'ab\n', false],
      // Characters beyond the BMP count as one, as Go's runes do.
      ['^.$', '😀', true],
      ['^[😀-😂]$', '😁', true],
    ];
    for (const [pattern, text, expected] of table) assert.equal(matches(pattern, text), expected, `${pattern} on ${JSON.stringify(text)}`);
  });

  it('refuses what Go refuses, with Go\'s wording', () => {
    const table: [string, RegExp][] = [
      ['(a', /missing closing \)/],
      ['a)', /unexpected \)/],
      ['[a', /missing closing \]/],
      ['a**', /invalid nested repetition operator/],
      ['*a', /missing argument to repetition operator/],
      ['a|*', /missing argument to repetition operator/],
      ['a{1001}', /invalid repeat count/],
      ['a{3,2}', /invalid repeat count/],
      ['(?=a)', /invalid or unsupported Perl syntax/],
      ['(?!a)', /invalid or unsupported Perl syntax/],
      ['(?<=a)b', /invalid named capture/],
      ['(?P<>a)', /invalid named capture/],
      ['\\1', /invalid escape sequence/],
      ['\\C', /invalid escape sequence/],
      ['\\Z', /invalid escape sequence/],
      ['[\\b]', /invalid escape sequence/],
      ['\\', /trailing backslash/],
      ['[z-a]', /invalid character class range/],
      ['[[:alphabet:]]', /invalid character class range/],
      ['\\p{NotAScript}', /invalid character class range/],
      ['(?-)a', /invalid or unsupported Perl syntax/],
    ];
    for (const [pattern, message] of table) {
      const compiled = compileGoRegex(pattern);
      assert.ok('error' in compiled, `${pattern} should be refused`);
      assert.match(compiled.error, /^error parsing regexp: /);
      assert.match(compiled.error, message, pattern);
    }
  });
});

describe('parseSopsConfig', () => {
  it('reads cluster-template\'s .sops.yaml', () => {
    const config = parseSopsConfig(CLUSTER_TEMPLATE, '/repo/.sops.yaml');
    assert.deepEqual(config.problems, []);
    assert.equal(config.isUnloadable, false);
    assert.equal(config.folder, '/repo');
    assert.equal(config.hasCreationRules, true);
    assert.deepEqual(config.stores, { yamlIndent: 2 });
    assert.deepEqual(
      config.rules.map((rule) => ({ ...rule, problems: rule.problems.length })),
      [
        { index: 0, line: 2, pathRegex: 'talos/.*\\.sops\\.ya?ml', macOnlyEncrypted: true, ageRecipients: [A], foreignKeyTypes: [], problems: 0 },
        { index: 1, line: 5, pathRegex: '(bootstrap|kubernetes)/.*\\.sops\\.ya?ml', encryptedRegex: '^(data|stringData)$', macOnlyEncrypted: true, ageRecipients: [A], foreignKeyTypes: [], problems: 0 },
      ],
    );
    assert.deepEqual(partialEncryptionOf(config.rules[1]), { macOnlyEncrypted: true, encryptedRegex: '^(data|stringData)$' });
    assert.deepEqual(cryptRuleOf(config.rules[1]), { mac_only_encrypted: true, encrypted_regex: '^(data|stringData)$' });
    assert.deepEqual(cryptRuleOf({ macOnlyEncrypted: false, unencryptedSuffix: '_plain' }), { unencrypted_suffix: '_plain' });
  });

  it('reads recipients as one string, a comma-separated list, or a YAML list (items split again)', () => {
    const config = parseSopsConfig(
      `creation_rules:
  - age: ${A}
  - age: "${A}, ${B},"
  - age:
      - ${A}
      - "${B},${C}"
  - age: >-
      ${A},
      ${B}
`,
      '/r/.sops.yaml',
    );
    assert.deepEqual(config.problems, []);
    assert.deepEqual(config.rules.map((rule) => rule.ageRecipients), [[A], [A, B], [A, B, C], [A, B]]);
  });

  it('reads every partial-encryption option and refuses two in one rule', () => {
    const config = parseSopsConfig(
      `creation_rules:
  - unencrypted_suffix: _unencrypted
  - encrypted_suffix: Templates
  - unencrypted_regex: ^(apiVersion|metadata|kind|type)$
  - encrypted_comment_regex: sops:enc
  - unencrypted_comment_regex: plain
  - encrypted_regex: ^data$
    unencrypted_suffix: _plain
    age: ${A}
`,
      '/r/.sops.yaml',
    );
    assert.deepEqual(
      config.rules.map((rule) => partialEncryptionOf(rule)),
      [
        { macOnlyEncrypted: false, unencryptedSuffix: '_unencrypted' },
        { macOnlyEncrypted: false, encryptedSuffix: 'Templates' },
        { macOnlyEncrypted: false, unencryptedRegex: '^(apiVersion|metadata|kind|type)$' },
        { macOnlyEncrypted: false, encryptedCommentRegex: 'sops:enc' },
        { macOnlyEncrypted: false, unencryptedCommentRegex: 'plain' },
        { macOnlyEncrypted: false, unencryptedSuffix: '_plain', encryptedRegex: '^data$' },
      ],
    );
    assert.deepEqual(
      config.problems.map((problem) => [problem.code, problem.line, problem.severity]),
      [['sops-config-partial-options', 7, 'error']],
    );
    assert.equal(config.rules[5].problems.length, 1);
    const match = matchCreationRule(config, '/r/x.yaml');
    assert.equal(match.kind, 'matched', 'the first rule (no path_regex) matches everything');
  });

  it('reports key types only the sops binary handles', () => {
    const config = parseSopsConfig(
      `creation_rules:
  - path_regex: pgp/
    pgp: FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4
    age: ${A}
  - path_regex: cloud/
    kms: arn:aws:kms:us-east-1:1:key/x
    gcp_kms: projects/p/locations/global/keyRings/r/cryptoKeys/k
    azure_keyvault: https://v.vault.azure.net/keys/k/1
    hc_vault_transit_uri: https://vault:8200/v1/transit/keys/k
    hckms: [tr-west-1:abc]
  - path_regex: groups/
    key_groups:
      - age: [${A}]
        pgp: [FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4]
    shamir_threshold: 1
  - path_regex: odd/
    age: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI x,${PQ}
  - path_regex: plain/
    age: ${A}
`,
      '/r/.sops.yaml',
    );
    assert.deepEqual(config.problems, []);
    assert.deepEqual(
      config.rules.map((rule) => rule.foreignKeyTypes),
      [['pgp'], ['kms', 'gcp_kms', 'azure_keyvault', 'hc_vault_transit_uri', 'hckms'], ['key_groups'], ['age_ssh'], []],
    );
    assert.equal(config.rules[2].shamirThreshold, 1);
    assert.deepEqual(config.rules[0].ageRecipients, [A]);
    assert.deepEqual(config.rules[3].ageRecipients, [PQ]);
  });

  it('reports problems with their lines: bad recipients, bad regexes, wrong types, unknown keys', () => {
    const text = `creation_rules:
  - path_regex: (unclosed
    age: age1notarecipient
  - path_regex: ok/
    encrypted_regex: "[z-a]"
    age: [${A}, 12]
  - age: AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ
    colour: blue
stores:
  yaml:
    indent: 2
    width: 80
  toml: {}
unknown_top: 1
`;
    const config = parseSopsConfig(text, '/r/.sops.yaml');
    assert.equal(config.isUnloadable, false);
    assert.deepEqual(
      config.problems.map((problem) => [problem.line, problem.code, problem.severity]),
      [
        [1, 'sops-config-regex', 'error'],
        [2, 'sops-config-recipient', 'error'],
        [4, 'sops-config-regex', 'error'],
        [5, 'sops-config-key', 'error'],
        [6, 'sops-config-recipient', 'error'],
        [7, 'sops-config-unknown-key', 'warning'],
        [11, 'sops-config-unknown-key', 'warning'],
        [12, 'sops-config-unknown-key', 'warning'],
        [13, 'sops-config-unknown-key', 'warning'],
      ],
    );
    // A mistyped secret key is not echoed back in the message.
    assert.ok(config.problems.every((problem) => !problem.message.includes('AGE-SECRET-KEY-1Q')));
    const offsetOfRegex = text.indexOf('(unclosed');
    assert.equal(config.problems[0].start, offsetOfRegex);
    assert.equal(config.problems[0].column, offsetOfRegex - text.lastIndexOf('\n', offsetOfRegex) - 1);
  });

  it('marks a config sops cannot load at all', () => {
    const cases: [string, string][] = [
      ['creation_rules: [\n', 'sops-config-yaml'],
      ['creation_rules:\n  - path_regex: [a]\n', 'sops-config-type'],
      ['creation_rules:\n  - mac_only_encrypted: "true"\n', 'sops-config-type'],
      ['creation_rules: {}\n', 'sops-config-type'],
      ['stores:\n  yaml:\n    indent: two\n', 'sops-config-type'],
      ['- a\n- b\n', 'sops-config-type'],
      ['a: 1\na: 2\n', 'sops-config-yaml'],
    ];
    for (const [text, code] of cases) {
      const config = parseSopsConfig(text, '/r/.sops.yaml');
      assert.equal(config.isUnloadable, true, text);
      assert.ok(config.problems.some((problem) => problem.code === code && problem.severity === 'error'), `${text}: ${config.problems.map((p) => p.code).join(', ')}`);
      assert.equal(matchCreationRule(config, '/r/a.yaml').kind, 'unloadable-config');
    }
  });

  it('accepts YAML 1.1 booleans for mac_only_encrypted, as yaml.v3 does for a Go bool', () => {
    const config = parseSopsConfig('creation_rules:\n  - mac_only_encrypted: yes\n  - mac_only_encrypted: Off\n  - mac_only_encrypted: TRUE\n', '/r/.sops.yaml');
    assert.deepEqual(config.problems, []);
    assert.deepEqual(config.rules.map((rule) => rule.macOnlyEncrypted), [true, false, true]);
  });

  it('treats an empty file or one without creation_rules as having no rules', () => {
    for (const text of ['', '---\n', 'stores:\n  json:\n    indent: 4\n', 'creation_rules:\n']) {
      const config = parseSopsConfig(text, '/r/.sops.yaml');
      assert.equal(config.hasCreationRules, false, JSON.stringify(text));
      assert.equal(config.isUnloadable, false);
      assert.deepEqual(matchCreationRule(config, '/r/x.sops.yaml'), { kind: 'no-creation-rules' });
    }
    assert.deepEqual(parseSopsConfig('stores:\n  json:\n    indent: 4\n  json_binary:\n    indent: 0\n', '/r/.sops.yaml').stores, { jsonIndent: 4, jsonBinaryIndent: 0 });
  });

  it('classifies age recipients as sops parses them', () => {
    assert.equal(ageRecipientKind(A), 'x25519');
    assert.equal(ageRecipientKind(PQ), 'pq');
    assert.equal(ageRecipientKind('age1pq1' + 'q'.repeat(100)), 'invalid');
    assert.equal(ageRecipientKind('age1yubikey1qwerty'), 'plugin');
    assert.equal(ageRecipientKind('ssh-ed25519 AAAA'), 'ssh');
    assert.equal(ageRecipientKind('age1short'), 'invalid');
    assert.equal(ageRecipientKind('AGE-SECRET-KEY-1X'), 'invalid');
  });
});

describe('matchCreationRule', () => {
  const config = parseSopsConfig(CLUSTER_TEMPLATE, '/repo/.sops.yaml');

  it('takes the first rule whose path_regex matches the path relative to the config folder', () => {
    const talos = matchCreationRule(config, '/repo/talos/talsecret.sops.yaml');
    assert.equal(talos.kind, 'matched');
    assert.equal(talos.kind === 'matched' && talos.rule.index, 0);
    assert.equal(talos.kind === 'matched' && talos.relativePath, 'talos/talsecret.sops.yaml');
    const kubernetes = matchCreationRule(config, '/repo/kubernetes/apps/flux-system/secret.sops.yaml');
    assert.equal(kubernetes.kind === 'matched' && kubernetes.rule.index, 1);
    // talos/… anywhere in the path matches the first rule, even below kubernetes/ (unanchored regex).
    assert.equal(matchCreationRule(config, '/repo/kubernetes/talos/x.sops.yaml').kind === 'matched' && (matchCreationRule(config, '/repo/kubernetes/talos/x.sops.yaml') as { rule: { index: number } }).rule.index, 0);
    assert.deepEqual(matchCreationRule(config, '/repo/infrastructure/x.sops.yaml'), { kind: 'no-match', relativePath: 'infrastructure/x.sops.yaml' });
  });

  it('matches a file outside the config folder on its absolute path, as sops does', () => {
    assert.equal(pathForRules(config, '/elsewhere/kubernetes/x.sops.yaml'), '/elsewhere/kubernetes/x.sops.yaml');
    assert.equal(matchCreationRule(config, '/elsewhere/kubernetes/x.sops.yaml').kind, 'matched');
    // /repository is not inside /repo.
    assert.equal(pathForRules(config, '/repository/talos/x.sops.yaml'), '/repository/talos/x.sops.yaml');
  });

  it('stops at an invalid path_regex before the match, and refuses an unusable matching rule', () => {
    const broken = parseSopsConfig(`creation_rules:\n  - path_regex: a/\n    age: ${A}\n  - path_regex: (b\n    age: ${A}\n  - age: ${A}\n`, '/r/.sops.yaml');
    assert.equal(matchCreationRule(broken, '/r/a/x.yaml').kind, 'matched');
    const invalid = matchCreationRule(broken, '/r/c/x.yaml');
    assert.equal(invalid.kind, 'invalid-regex');
    assert.match(invalid.kind === 'invalid-regex' ? invalid.message : '', /creation rule 2: error parsing regexp: missing closing \)/);
    const unusable = matchCreationRule(parseSopsConfig('creation_rules:\n  - age: age1bad\n', '/r/.sops.yaml'), '/r/x.yaml');
    assert.equal(unusable.kind, 'unusable-rule');
    assert.match(unusable.kind === 'unusable-rule' ? unusable.message : '', /line 2.*age1bad is not an age recipient/);
  });
});

describe('findSopsConfig', () => {
  it('finds the nearest .sops.yaml upward and parses it', async () => {
    const reader = memoryFileReader({
      '/repo/.sops.yaml': CLUSTER_TEMPLATE,
      '/repo/kubernetes/.sops.yaml': `creation_rules:\n  - age: ${B}\n`,
      '/repo/kubernetes/apps/secret.sops.yaml': 'a: 1\n',
    });
    const nearest = await findSopsConfig('/repo/kubernetes/apps/secret.sops.yaml', reader);
    assert.equal(nearest?.config.configPath, '/repo/kubernetes/.sops.yaml');
    assert.deepEqual(nearest?.config.rules[0].ageRecipients, [B]);
    assert.equal((await findSopsConfig('/repo/talos/x.sops.yaml', reader))?.config.configPath, '/repo/.sops.yaml');
    assert.equal(await findSopsConfig('/other/x.sops.yaml', reader), undefined);
  });

  it('notes a .sops.yml passed over, which sops ignores', async () => {
    const reader = memoryFileReader({ '/repo/.sops.yaml': CLUSTER_TEMPLATE, '/repo/sub/.sops.yml': 'creation_rules: []\n' });
    const found = await findSopsConfig('/repo/sub/x.sops.yaml', reader);
    assert.equal(found?.config.configPath, '/repo/.sops.yaml');
    assert.match(found?.note ?? '', /\/repo\/sub\/\.sops\.yml was ignored/);
    assert.equal(await findSopsConfig('/none/sub/x.yaml', memoryFileReader({ '/none/sub/.sops.yml': 'a: 1\n' })), undefined);
  });
});
