// The command-line tool as users run it: `node dist/cli.js check <folder>`, its output format
// (path:line:col: severity: message [code]) and its exit codes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const ROOT = join(__dirname, '../../..');
const CLI = join(ROOT, 'dist/cli.js');
const work = mkdtempSync(join(tmpdir(), 'ctt-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

function copyExample(name: string): string {
  const dir = join(work, name);
  cpSync(join(ROOT, 'example'), dir, { recursive: true });
  return dir;
}

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('cli check', () => {
  it('passes the example workspace with exit 0', () => {
    const result = run('check', copyExample('valid'));
    assert.equal(result.stdout, '');
    // The templates are checked too, and a correct workspace has nothing to say about them.
    assert.match(result.stderr, /2 file\(s\) and 46 template\(s\) checked: 0 error\(s\), 0 warning\(s\)/);
    assert.equal(result.code, 0);
  });

  it('prints each problem as path:line:col and exits 1 on an error', () => {
    const dir = copyExample('broken');
    const clusterPath = join(dir, 'cluster.yaml');
    const lines = readFileSync(clusterPath, 'utf8').split('\n');
    const index = lines.findIndex((line) => line.startsWith('cluster_api_addr:'));
    lines[index] = 'cluster_api_addr: "10.9.9.9"';
    writeFileSync(clusterPath, lines.join('\n'));
    const result = run('check', dir);
    assert.equal(result.code, 1);
    assert.equal(
      result.stdout.trim(),
      `cluster.yaml:${index + 1}:1: error: cluster_api_addr 10.9.9.9 is outside node_cidr 192.168.42.0/24. The API address must be an unused address in the node network. [api-addr-in-cidr]`,
    );
  });

  it('reports template problems at their exact place, sorted by path, and exits 1 on an error', () => {
    const dir = copyExample('templates');
    /** Replaces the first `from` in a template; returns the 1-based line and column where `at` ends up. */
    const edit = (name: string, from: string, to: string, at: string): { line: number; column: number } => {
      const file = join(dir, 'templates/config', name);
      const text = readFileSync(file, 'utf8');
      assert.ok(text.includes(from), `${name} lacks ${from}`);
      const edited = text.replace(from, to);
      writeFileSync(file, edited);
      const offset = edited.indexOf(at);
      const before = edited.slice(0, offset).split('\n');
      return { line: before.length, column: before[before.length - 1].length + 1 };
    };
    const typo = edit('kubernetes/apps/default/echo/app/helmrelease.yaml.j2', '#{ cloudflare_domain }#', '#{ cloudflare_domian }#', 'cloudflare_domian');
    const filter = edit('talos/talconfig.yaml.j2', '#{ cluster_api_addr }#', '#{ cluster_api_addr | upperr }#', 'upperr');
    const result = run('check', dir);
    assert.equal(
      result.stdout,
      [
        `templates/config/kubernetes/apps/default/echo/app/helmrelease.yaml.j2:${typo.line}:${typo.column}: warning: cloudflare_domian is not defined by cluster.yaml, nodes.yaml, the plugin or the template. Did you mean cloudflare_domain? It renders as an empty string. [undefined-variable]`,
        `templates/config/talos/talconfig.yaml.j2:${filter.line}:${filter.column}: error: Unknown filter upperr. Did you mean upper? The render fails with "No filter named 'upperr'". [unknown-filter]`,
        '',
      ].join('\n'),
    );
    assert.match(result.stderr, /2 file\(s\) and 46 template\(s\) checked: 1 error\(s\), 1 warning\(s\)/);
    assert.equal(result.code, 1);
  });

  it('exits 0 with warnings only', () => {
    const dir = copyExample('warning');
    // Without the workspace schema an unknown key is a warning, not an error.
    rmSync(join(dir, '.taskfiles'), { recursive: true });
    writeFileSync(join(dir, 'cluster.yaml'), readFileSync(join(dir, 'cluster.yaml'), 'utf8') + 'node_cidrr: "x"\n');
    const result = run('check', dir);
    assert.match(result.stdout, /cluster\.yaml:\d+:1: warning: Unknown key node_cidrr .*Did you mean node_cidr\? .*\[unknown-key\]/);
    assert.equal(result.code, 0);
  });

  it('exits 2 on a folder without config files and on bad usage', () => {
    assert.equal(run('check', work + '/nothing-here').code, 2);
    assert.equal(run('check').code, 2);
    assert.equal(run('frobnicate').code, 2);
    assert.equal(run('help').code, 0);
  });
});
