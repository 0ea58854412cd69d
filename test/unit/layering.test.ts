// The import rules of STYLE.md §2, checked on the sources: services stay pure, handlers and
// engines do no I/O of their own, and the client imports only protocol.ts from the server.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = join(__dirname, '../../..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? sources(full) : full.endsWith('.ts') ? [full] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]);
}

function violations(folder: string, isForbidden: (spec: string) => boolean): string[] {
  return sources(join(ROOT, folder)).flatMap((file) =>
    importsOf(file)
      .filter(isForbidden)
      .map((spec) => `${relative(ROOT, file)} imports ${spec}`),
  );
}

describe('layering', () => {
  it('keeps services free of VS Code, the connection and Node I/O', () => {
    const forbidden = /^(vscode|vscode-languageserver|vscode-languageserver\/node|vscode-languageclient.*|(node:)?(fs|fs\/promises|child_process|net|http|https))$/;
    assert.deepEqual(violations('server/src/services', (spec) => forbidden.test(spec) || spec.includes('/host/')), []);
  });

  it('lets the client import only protocol.ts from the server', () => {
    assert.deepEqual(violations('client/src', (spec) => spec.includes('server/src/') && !spec.endsWith('server/src/protocol')), []);
  });

  it('keeps handlers free of Node I/O', () => {
    assert.deepEqual(violations('server/src/handlers', (spec) => /^(node:)?(fs|child_process)/.test(spec)), []);
  });

  it('finds the imports it checks (the scan itself works)', () => {
    assert.ok(importsOf(join(ROOT, 'server/src/server.ts')).includes('vscode-languageserver/node'));
  });
});
