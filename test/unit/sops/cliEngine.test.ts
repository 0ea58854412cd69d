// The CLI engine against a fake ProcessRunner (no sops binary exists here): the command lines it
// builds, what a missing binary, a timeout and each sops exit status become, that stderr is
// summarised without key material, and which engine a file or rule gets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProcessRequest, ProcessResult, ProcessRunner } from '../../../server/src/host/processRunner';
import {
  canUseStdin,
  chooseSopsEngine,
  decryptWithSopsCli,
  describeKeyTypes,
  encryptWithSopsCli,
  sopsCliEnvironment,
  sopsCliVersion,
  summarizeSopsStderr,
} from '../../../server/src/engines/sops/cliEngine';
import type { LoadedIdentities } from '../../../server/src/engines/sops/identities';

/** A runner that records requests and answers from a script. */
function fakeRunner(answer: (request: ProcessRequest) => Partial<ProcessResult>): ProcessRunner & { requests: ProcessRequest[] } {
  const requests: ProcessRequest[] = [];
  return {
    requests,
    async run(request) {
      requests.push(request);
      return { exitCode: 0, stdout: '', stderr: '', isTimedOut: false, ...answer(request) };
    },
  };
}

describe('CLI engine', () => {
  it('decrypts a file by path, with the config and the environment it is given', async () => {
    const runner = fakeRunner(() => ({ stdout: 'plain: text\n' }));
    const result = await decryptWithSopsCli('/repo/a.sops.yaml', { runner, cwd: '/repo', configPath: '/repo/.sops.yaml', env: { SOPS_AGE_KEY_FILE: '/repo/age.key' } });
    assert.deepEqual(result, { kind: 'ok', output: 'plain: text\n' });
    assert.deepEqual(runner.requests, [
      { command: 'sops', args: ['--config', '/repo/.sops.yaml', '--decrypt', '/repo/a.sops.yaml'], cwd: '/repo', timeoutMs: 60_000, env: { SOPS_AGE_KEY_FILE: '/repo/age.key' } },
    ]);
  });

  it('pipes content in and out for editing in memory (sops 3.9+), never through a file', async () => {
    const runner = fakeRunner((request) => ({ stdout: `ENC(${request.stdin})` }));
    const encrypted = await encryptWithSopsCli('/repo/k/a.sops.yaml', { runner, cwd: '/repo', command: '/opt/sops' }, 'a: 1\n');
    assert.deepEqual(encrypted, { kind: 'ok', output: 'ENC(a: 1\n)' });
    assert.deepEqual(runner.requests[0].args, ['encrypt', '--filename-override', '/repo/k/a.sops.yaml']);
    assert.equal(runner.requests[0].command, '/opt/sops');
    assert.equal(runner.requests[0].stdin, 'a: 1\n');
    await decryptWithSopsCli('/repo/k/a.sops.yaml', { runner, cwd: '/repo' }, 'sops: {}\n');
    assert.deepEqual(runner.requests[1].args, ['decrypt', '--filename-override', '/repo/k/a.sops.yaml']);
    await encryptWithSopsCli('/repo/k/a.sops.yaml', { runner, cwd: '/repo' });
    assert.deepEqual(runner.requests[2].args, ['--encrypt', '/repo/k/a.sops.yaml']);
    assert.equal(runner.requests[2].stdin, undefined);
  });

  it('says plainly when sops is not installed', async () => {
    const runner = fakeRunner(() => ({ exitCode: null, spawnError: 'ENOENT' }));
    const result = await decryptWithSopsCli('/repo/a.sops.yaml', { runner, cwd: '/repo' });
    assert.equal(result.kind, 'missing-binary');
    assert.equal(result.kind === 'missing-binary' && result.message, 'The sops program (sops) is not installed or not on PATH.');
    assert.match(result.kind === 'missing-binary' ? result.hint : '', /Install sops .*clusterTemplate\.sops\.engine/);
    const version = await sopsCliVersion({ runner, cwd: '/repo' });
    assert.equal(version.kind, 'missing-binary');
  });

  it('reports a timeout', async () => {
    const runner = fakeRunner(() => ({ exitCode: null, isTimedOut: true }));
    assert.deepEqual(await encryptWithSopsCli('/r/a.yaml', { runner, cwd: '/r', timeoutMs: 5000 }), { kind: 'timed-out', message: 'sops did not finish within 5 s and was stopped.' });
  });

  it('turns sops exit statuses into reasons', async () => {
    const table: [number, string, string][] = [
      [51, 'Error: MAC mismatch', 'mac-mismatch'],
      [52, 'Error: no MAC', 'mac-missing'],
      [128, 'Failed to get the data key required to decrypt the SOPS file.', 'no-key'],
      [203, 'File already encrypted', 'already-encrypted'],
      [61, 'config file not found', 'no-config'],
      [1, 'error loading config: no matching creation rules found', 'no-matching-rule'],
      [1, 'Incorrect Usage: flag provided but not defined: -filename-override', 'unsupported-version'],
      [1, 'sops metadata not found', 'not-encrypted'],
      [4, 'something else broke', 'other'],
    ];
    for (const [exitCode, stderr, reason] of table) {
      const runner = fakeRunner(() => ({ exitCode, stderr }));
      const result = await decryptWithSopsCli('/r/a.yaml', { runner, cwd: '/r' });
      assert.equal(result.kind === 'failed' && result.reason, reason, stderr);
      assert.equal(result.kind === 'failed' && result.exitCode, exitCode);
    }
    const other = await decryptWithSopsCli('/r/a.yaml', { runner: fakeRunner(() => ({ exitCode: 4, stderr: 'something else broke\n' })), cwd: '/r' });
    assert.equal(other.kind === 'failed' && other.message, 'sops failed (exit 4): something else broke');
  });

  it('summarises stderr without colours or anything shaped like a secret key', () => {
    const secretShaped = 'AGE-SECRET-KEY-1' + 'Q'.repeat(58);
    const summary = summarizeSopsStderr(`\u001b[31mError\u001b[0m: bad identity ${secretShaped}\n\n  second line\n`);
    assert.equal(summary, 'Error: bad identity AGE-SECRET-KEY-… second line');
    assert.ok(summarizeSopsStderr('x'.repeat(1000)).length <= 301);
  });

  it('reads the version, and knows which versions take standard input', async () => {
    const runner = fakeRunner(() => ({ stdout: 'sops 3.9.4 (latest)\n' }));
    const version = await sopsCliVersion({ runner, cwd: '/r', configPath: '/r/.sops.yaml' });
    assert.deepEqual(version, { kind: 'ok', version: '3.9.4', major: 3, minor: 9, patch: 4 });
    assert.deepEqual(runner.requests[0].args, ['--version'], '--version takes no --config');
    assert.equal(canUseStdin({ major: 3, minor: 8 }), false);
    assert.equal(canUseStdin({ major: 3, minor: 9 }), true);
    assert.equal(canUseStdin({ major: 4, minor: 0 }), true);
    const odd = await sopsCliVersion({ runner: fakeRunner(() => ({ stdout: 'what?' })), cwd: '/r' });
    assert.equal(odd.kind, 'failed');
  });

  it('hands sops the key file we found when the environment names none', () => {
    const loaded: LoadedIdentities = {
      identities: [],
      found: [
        { kind: 'SOPS_AGE_KEY', label: 'SOPS_AGE_KEY', count: 1, recipients: [] },
        { kind: 'workspace', label: '/repo/age.key', path: '/repo/age.key', count: 1, recipients: [] },
      ],
      missing: [],
      problems: [],
    };
    assert.deepEqual(sopsCliEnvironment(loaded, {}), { SOPS_AGE_KEY_FILE: '/repo/age.key' });
    assert.deepEqual(sopsCliEnvironment(loaded, { SOPS_AGE_KEY_FILE: '/k' }), {});
    assert.deepEqual(sopsCliEnvironment(loaded, { SOPS_AGE_KEY: 'x' }), {});
    // sops reads its own keys.txt anyway.
    assert.deepEqual(sopsCliEnvironment({ ...loaded, found: [{ kind: 'userConfig', label: 'k', path: '/h/.config/sops/age/keys.txt', count: 1, recipients: [] }] }, {}), {});
  });

  it('chooses the engine: the preference, then the key types', () => {
    assert.deepEqual(chooseSopsEngine({ preference: 'native' }), { engine: 'native', reason: '' });
    assert.deepEqual(chooseSopsEngine({ preference: 'cli' }), { engine: 'cli', reason: 'clusterTemplate.sops.engine is "cli"' });
    assert.deepEqual(chooseSopsEngine({ preference: 'native', foreignKeyTypes: ['pgp', 'kms'] }), {
      engine: 'cli',
      reason: 'the creation rule uses PGP and AWS KMS, which only the sops program implements',
    });
    assert.equal(chooseSopsEngine({ preference: 'native', canDecryptNatively: false }).engine, 'cli');
    assert.equal(chooseSopsEngine({ preference: 'native', canDecryptNatively: true }).engine, 'native');
    assert.equal(describeKeyTypes(['pgp', 'gcp_kms', 'key_groups']), 'PGP, GCP KMS and key groups');
  });
});
