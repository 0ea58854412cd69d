// The SOPS diagnostics and their quick fixes, from facts: which problems a secret file gets, where
// they sit, and that no message ever carries a value of the file.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver-types';
import { computeSopsCodeActions, SopsCommand } from '../../../server/src/services/sops/codeActions';
import { collectSopsDiagnostics, SopsCode, type SopsFileFacts } from '../../../server/src/services/sops/diagnostics';

const FOLDER_URI = 'file:///ws';
const FILE_URI = 'file:///ws/kubernetes/apps/x/secret.sops.yaml';

function facts(overrides: Partial<SopsFileFacts>): SopsFileFacts {
  return {
    relativePath: 'kubernetes/apps/x/secret.sops.yaml',
    store: 'yaml',
    state: { kind: 'encrypted' },
    verification: { kind: 'ok' },
    creationRule: { kind: 'matched' },
    ageKey: { isFound: true, searched: [] },
    folderUri: FOLDER_URI,
    ...overrides,
  };
}

/** A diagnostic's message as plain text (ours are always strings). */
function text(diagnostic: Diagnostic): string {
  return typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value;
}

/** Code, severity and 0-based start line of each diagnostic. */
function summary(diagnostics: Diagnostic[]): [string, DiagnosticSeverity | undefined, number][] {
  return diagnostics.map((d) => [String(d.code), d.severity, d.range.start.line]);
}

const PLAINTEXT = '---\n# a secret\napiVersion: v1\nkind: Secret\nstringData:\n  token: hunter2-value\n';
const ENCRYPTED = [
  'apiVersion: v1',
  'kind: Secret',
  'stringData:',
  '  token: ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]',
  'sops:',
  '  age:',
  '    - recipient: age1xyz',
  '  lastmodified: "2026-01-01T00:00:00Z"',
  '  mac: ENC[AES256_GCM,data:m,iv:i,tag:t,type:str]',
  '  version: 3.9.0',
  '',
].join('\n');

describe('SOPS diagnostics', () => {
  it('says a plaintext secret must be encrypted, on its first content line, without its values', () => {
    const diagnostics = collectSopsDiagnostics(PLAINTEXT, facts({ state: { kind: 'plaintext' }, verification: undefined }));
    assert.deepEqual(summary(diagnostics), [[SopsCode.plaintext, DiagnosticSeverity.Error, 2]]);
    assert.equal(text(diagnostics[0]), 'plaintext secret: encrypt before committing');
    assert.equal(diagnostics[0].source, 'sops');
    assert.deepEqual(diagnostics[0].range, { start: { line: 2, character: 0 }, end: { line: 2, character: 'apiVersion: v1'.length } });
  });

  it('reports nothing for a verified encrypted file with a rule and a key', () => {
    assert.deepEqual(collectSopsDiagnostics(ENCRYPTED, facts({})), []);
  });

  it('puts a MAC mismatch on the mac entry and a tampered value on its key', () => {
    const mac = collectSopsDiagnostics(ENCRYPTED, facts({ verification: { kind: 'mac-mismatch' } }));
    assert.deepEqual(summary(mac), [[SopsCode.macMismatch, DiagnosticSeverity.Error, 8]]);
    assert.match(text(mac[0]), /MAC mismatch/);
    const value = collectSopsDiagnostics(ENCRYPTED, facts({ verification: { kind: 'value-tampered', keyPath: ['stringData', 'token'] } }));
    assert.deepEqual(summary(value), [[SopsCode.valueTampered, DiagnosticSeverity.Error, 3]]);
    assert.equal(value[0].range.start.character, 2);
    assert.match(text(value[0]), /MAC check failed.*stringData\.token/);
    const noMac = collectSopsDiagnostics(ENCRYPTED, facts({ verification: { kind: 'no-mac' } }));
    assert.deepEqual(summary(noMac), [[SopsCode.noMac, DiagnosticSeverity.Error, 4]]);
  });

  it('finds keys through lists and in JSON, dotenv and INI files', () => {
    const yamlList = 'items:\n  - name: a\n    password: ENC[x]\nsops:\n  mac: ENC[y]\n';
    const tampered = collectSopsDiagnostics(yamlList, facts({ verification: { kind: 'value-tampered', keyPath: ['items', 'password'] } }));
    assert.equal(tampered[0].range.start.line, 2);
    const json = '{\n\t"token": "ENC[x]",\n\t"sops": {\n\t\t"mac": "ENC[y]"\n\t}\n}\n';
    assert.equal(collectSopsDiagnostics(json, facts({ store: 'json', verification: { kind: 'mac-mismatch' } }))[0].range.start.line, 3);
    const dotenv = 'TOKEN=ENC[x]\nsops_version=3.9.0\nsops_mac=ENC[y]\n';
    assert.deepEqual(collectSopsDiagnostics(dotenv, facts({ store: 'dotenv', verification: { kind: 'mac-mismatch' } }))[0].range, {
      start: { line: 2, character: 0 },
      end: { line: 2, character: 'sops_mac'.length },
    });
    const ini = '[db]\npassword = ENC[x]\n\n[sops]\nversion = 3.9.0\nmac = ENC[y]\n';
    assert.equal(collectSopsDiagnostics(ini, facts({ store: 'ini', verification: { kind: 'mac-mismatch' } }))[0].range.start.line, 5);
    assert.equal(collectSopsDiagnostics(ini, facts({ store: 'ini', verification: { kind: 'value-tampered', keyPath: ['db', 'password'] } }))[0].range.start.line, 1);
  });

  it('falls back to the first line when the text cannot be parsed', () => {
    const broken = 'a: [\n';
    const diagnostics = collectSopsDiagnostics(broken, facts({ verification: { kind: 'mac-mismatch' } }));
    assert.equal(diagnostics[0].range.start.line, 0);
  });

  it('warns when no creation rule applies, with the reason', () => {
    const unmatched = collectSopsDiagnostics(ENCRYPTED, facts({ creationRule: { kind: 'unmatched' } }));
    assert.deepEqual(summary(unmatched), [[SopsCode.noCreationRule, DiagnosticSeverity.Warning, 0]]);
    assert.match(text(unmatched[0]), /No creation rule/);
    assert.match(text(collectSopsDiagnostics(ENCRYPTED, facts({ creationRule: { kind: 'no-config' } }))[0]), /No \.sops\.yaml/);
    const unusable = collectSopsDiagnostics(ENCRYPTED, facts({ creationRule: { kind: 'unusable', message: 'creation rule 2 (line 7): bad recipient' } }));
    assert.match(text(unusable[0]), /creation rule 2 \(line 7\): bad recipient/);
  });

  it('offers to generate an age key when none was found, and says where it looked', () => {
    const diagnostics = collectSopsDiagnostics(ENCRYPTED, facts({ verification: undefined, ageKey: { isFound: false, searched: ['SOPS_AGE_KEY', '/ws/age.key'] } }));
    assert.deepEqual(summary(diagnostics), [[SopsCode.noAgeKey, DiagnosticSeverity.Warning, 0]]);
    assert.match(text(diagnostics[0]), /No age key found.*Looked in: SOPS_AGE_KEY, \/ws\/age\.key\./);
    assert.deepEqual(diagnostics[0].data, { folderUri: FOLDER_URI });
    // Not checked (restricted mode): no claim either way.
    assert.deepEqual(collectSopsDiagnostics(ENCRYPTED, facts({ verification: undefined, ageKey: undefined })), []);
  });

  it('warns when the keys found are not recipients of the file', () => {
    const diagnostics = collectSopsDiagnostics(ENCRYPTED, facts({ verification: { kind: 'not-a-recipient' } }));
    assert.deepEqual(summary(diagnostics), [[SopsCode.notRecipient, DiagnosticSeverity.Warning, 5]]);
  });

  it('reports broken metadata as an error with its reason', () => {
    const diagnostics = collectSopsDiagnostics(ENCRYPTED, facts({ state: { kind: 'broken', reason: 'lastmodified is missing' }, verification: undefined }));
    assert.deepEqual(summary(diagnostics), [[SopsCode.brokenMetadata, DiagnosticSeverity.Error, 4]]);
    assert.match(text(diagnostics[0]), /lastmodified is missing/);
  });

  it('never puts a value of the file into a message', () => {
    const cases: Partial<SopsFileFacts>[] = [
      { state: { kind: 'plaintext' }, verification: undefined, creationRule: { kind: 'unmatched' }, ageKey: { isFound: false, searched: [] } },
      { verification: { kind: 'value-tampered', keyPath: ['stringData', 'token'] } },
    ];
    for (const overrides of cases) {
      for (const diagnostic of collectSopsDiagnostics(PLAINTEXT, facts(overrides))) {
        assert.ok(!text(diagnostic).includes('hunter2'), `diagnostic ${String(diagnostic.code)} carries a value of the file`);
      }
    }
  });
});

describe('SOPS quick fixes', () => {
  it('encrypts a plaintext secret and generates a missing age key through the client commands', () => {
    const plaintext = collectSopsDiagnostics(PLAINTEXT, facts({ state: { kind: 'plaintext' }, verification: undefined, ageKey: { isFound: false, searched: [] } }));
    const actions = computeSopsCodeActions(FILE_URI, plaintext);
    assert.deepEqual(
      actions.map((action) => [action.kind, action.isPreferred, action.command?.command, action.command?.arguments]),
      [
        ['quickfix', true, SopsCommand.encryptFile, [FILE_URI]],
        ['quickfix', true, SopsCommand.generateAgeKey, [FOLDER_URI]],
      ],
    );
    assert.deepEqual(actions[0].diagnostics, [plaintext[0]]);
  });

  it('offers nothing for other diagnostics or other sources', () => {
    const mac = collectSopsDiagnostics(ENCRYPTED, facts({ verification: { kind: 'mac-mismatch' } }));
    assert.deepEqual(computeSopsCodeActions(FILE_URI, mac), []);
    const foreign: Diagnostic = { ...collectSopsDiagnostics(PLAINTEXT, facts({ state: { kind: 'plaintext' } }))[0], source: 'yaml' };
    assert.deepEqual(computeSopsCodeActions(FILE_URI, [foreign]), []);
  });
});
