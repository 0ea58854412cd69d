// Shell quoting checked by a real /bin/sh splitting our command lines back into argv, and the
// placeholder filling of catalog commands (cluster.yaml, nodes.yaml, fallbacks, JSONPath untouched).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { commandLineOf, quoteShellArgument, substitutePlaceholders, type PlaceholderValues } from '../../../server/src/engines/tasks/shellQuote';

/** Prints each argument it gets as `[arg]` on its own line. */
const PRINT_ARGS = 'for a in "$@"; do printf "[%s]\\n" "$a"; done';

/** What sh makes of the command line we build for `sh -c PRINT_ARGS sh ...args`. */
function argsAsShellSeesThem(args: string[]): string {
  const line = commandLineOf(['/bin/sh', '-c', PRINT_ARGS, 'sh', ...args]);
  const run = spawnSync('/bin/sh', ['-c', line], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
}

const TRICKY = [
  'two words',
  "it's",
  "''",
  'say "hi"',
  '$HOME',
  '${HOME:-x}',
  '`id`',
  '$(id)',
  'a;b',
  'a|b',
  'a&b',
  'a>b<c',
  'line\nbreak',
  'tab\there',
  '',
  ' ',
  'héllo wörld ☸ 😀',
  '-n',
  '--from=cronjob/talos-backup',
  '*',
  '~',
  '~/x',
  '#comment',
  'a\\b',
  '!',
  '{a,b}',
  '[x]',
  'trailing\\',
  "'\\''",
];

describe('quoteShellArgument', () => {
  it('leaves safe words bare', () => {
    for (const word of ['kube-system', '--from=cronjob/talos-backup', '192.168.1.10', 'talos:apply-node', 'app.kubernetes.io/name=tuppr', '-o', 'json', 'a,b', 'user@host', '100%', '+x']) {
      assert.equal(quoteShellArgument(word), word);
    }
  });

  it("single-quotes everything else, writing a quote as '\\''", () => {
    assert.equal(quoteShellArgument(''), "''");
    assert.equal(quoteShellArgument('a b'), "'a b'");
    assert.equal(quoteShellArgument("it's"), "'it'\\''s'");
    assert.equal(quoteShellArgument('$HOME'), "'$HOME'");
    assert.equal(quoteShellArgument('~'), "'~'");
  });

  it('survives a real sh for every tricky value', () => {
    const expected = TRICKY.map((arg) => `[${arg}]\n`).join('');
    assert.equal(argsAsShellSeesThem(TRICKY), expected);
  });

  it('survives a real sh one value at a time', () => {
    for (const arg of TRICKY) assert.equal(argsAsShellSeesThem([arg]), `[${arg}]\n`, JSON.stringify(arg));
  });
});

describe('commandLineOf', () => {
  it('joins quoted arguments with spaces', () => {
    assert.equal(
      commandLineOf(['kubectl', '-n', 'kube-system', 'create', 'job', '--from=cronjob/talos-backup', 'test backup']),
      "kubectl -n kube-system create job --from=cronjob/talos-backup 'test backup'",
    );
    assert.equal(commandLineOf(['task', 'talos:apply-node', 'IP=10.0.0.1']), 'task talos:apply-node IP=10.0.0.1');
  });

  it('quotes a first word that sh would take for a variable assignment', () => {
    assert.equal(commandLineOf(['A=b', 'c']), "'A=b' c");
    const run = spawnSync('/bin/sh', ['-c', commandLineOf(['X=1'])], { encoding: 'utf8', timeout: 10_000 });
    // Run as a command, X=1 is not found (status 127), where an assignment would have succeeded.
    assert.equal(run.status, 127);
  });
});

describe('substitutePlaceholders', () => {
  const values: PlaceholderValues = {
    cluster: {
      cloudflare_domain: 'example.com',
      keycloak_realm: 'home',
      keycloak_subdomain: '',
      node_vlan_tag: 42,
      oidc_enabled: false,
      node_dns_servers: ['1.1.1.1', '1.0.0.1'],
      backup: { s3: { bucket: 'etcd' } },
      empty_list: [],
    },
    nodes: {
      nodes: [
        { name: 'worker-1', address: '10.0.0.21', controller: false },
        { name: 'cp-1', address: '10.0.0.11', controller: true },
        { name: 'cp-2', address: '10.0.0.12', controller: true },
      ],
    },
  };

  it('fills cluster.yaml keys, node fields, the first controller and fallbacks', () => {
    assert.deepEqual(
      substitutePlaceholders(
        [
          'curl',
          'https://{keycloak_subdomain|auth}.{cloudflare_domain}/realms/{keycloak_realm}',
          '{nodes[0].address}',
          '{nodes[1].name}',
          'IP={controller.address}',
          '{node_vlan_tag}',
          '{oidc_enabled}',
          '{node_dns_servers[1]}',
          '{backup.s3.bucket}',
          '{missing_key|}',
          '{cloudflare_domain}{keycloak_realm}',
        ],
        values,
      ),
      { argv: ['curl', 'https://auth.example.com/realms/home', '10.0.0.21', 'cp-1', 'IP=10.0.0.11', '42', 'false', '1.0.0.1', 'etcd', '', 'example.comhome'] },
    );
  });

  it('prefers a set value over its fallback', () => {
    assert.deepEqual(substitutePlaceholders(['{cloudflare_domain|other.org}'], values), { argv: ['example.com'] });
  });

  it('reports unset, empty and structured values by placeholder name, once each', () => {
    assert.deepEqual(
      substitutePlaceholders(
        ['{keycloak_subdomain}', '{nodes[5].address}', '{nodes[0].disk}', '{unknown_key}', '{node_dns_servers}', '{empty_list}', '{controller}', '{nodes.address}', 'x{unknown_key}'],
        values,
      ),
      { missing: ['keycloak_subdomain', 'nodes[5].address', 'nodes[0].disk', 'unknown_key', 'node_dns_servers', 'empty_list', 'controller', 'nodes.address'] },
    );
  });

  it('reports a missing controller when no node is a controller', () => {
    assert.deepEqual(substitutePlaceholders(['-n', '{controller.address}'], { cluster: {}, nodes: { nodes: [{ address: '10.0.0.1' }] } }), { missing: ['controller.address'] });
    assert.deepEqual(substitutePlaceholders(['{nodes[0].address}'], { cluster: {}, nodes: {} }), { missing: ['nodes[0].address'] });
  });

  it('leaves JSONPath, Go templates and other braces unchanged', () => {
    const untouched = [
      '-o=jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}',
      'jsonpath={.items[0].metadata.name}',
      "jsonpath='{@}'",
      '{$.x}',
      '--template={{.metadata.name}}',
      '{{end}}',
      '{{ cloudflare_domain }}',
      '{}',
      '{a b}',
      '{1abc}',
      '${HOME}',
      '${SECRET_DOMAIN}',
      'x{if}y',
    ];
    assert.deepEqual(substitutePlaceholders(untouched, values), { argv: untouched });
  });

  it("does not quote: quoting is commandLineOf's job after substitution", () => {
    const result = substitutePlaceholders(['echo', '{motd}'], { cluster: { motd: "it's $HOME" }, nodes: {} });
    assert.deepEqual(result, { argv: ['echo', "it's $HOME"] });
    assert.equal(commandLineOf((result as { argv: string[] }).argv), "echo 'it'\\''s $HOME'");
  });
});
