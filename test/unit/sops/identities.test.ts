// Where age identities come from, in order, and what is reported when they are missing: paths
// and counts only. Keys are generated per test and compared in memory, never printed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryFileReader } from '../../../server/src/host/fileReader';
import { ageKeyFileText, generateAgeKeyPair, type AgeKeyPair } from '../../../server/src/engines/sops/ageKey';
import { describeMissingIdentities, loadAgeIdentities, parseAgeIdentities, userConfigKeyFile } from '../../../server/src/engines/sops/identities';

const keys: AgeKeyPair[] = Array.from({ length: 7 }, () => generateAgeKeyPair());
const fileOf = (pair: AgeKeyPair): string => ageKeyFileText(pair, new Date(0), 0);
/** Which generated key an identity is (compare by index, never by printing the key). */
const indexesOf = (identities: string[]): number[] => identities.map((identity) => keys.findIndex((pair) => pair.identity === identity));

describe('parseAgeIdentities', () => {
  it('reads one identity per line from a file and several per line from SOPS_AGE_KEY', () => {
    const file = `${fileOf(keys[0])}\n# another\n${keys[1].identity}\r\n`;
    assert.deepEqual(indexesOf(parseAgeIdentities(file, false).identities), [0, 1]);
    const variable = `${keys[0].identity} ${keys[1].identity}\n\n${keys[2].identity}`;
    assert.deepEqual(indexesOf(parseAgeIdentities(variable, true).identities), [0, 1, 2]);
    // In a file, two keys on a line are one malformed line, as in sops.
    const twoOnALine = parseAgeIdentities(`${keys[0].identity} ${keys[1].identity}\n`, false);
    assert.deepEqual(twoOnALine.identities, []);
    assert.equal(twoOnALine.problems.length, 1);
  });

  it('reports bad lines by number without repeating them', () => {
    const damaged = keys[3].identity.slice(0, -1) + (keys[3].identity.endsWith('Q') ? 'P' : 'Q');
    const parsed = parseAgeIdentities(`${keys[0].identity}\nage1notakey\n${damaged}\nAGE-PLUGIN-YUBIKEY-1ABC\n`, false);
    assert.deepEqual(indexesOf(parsed.identities), [0]);
    assert.deepEqual(parsed.problems.map((problem) => problem.line), [2, 3, 4]);
    assert.match(parsed.problems[1].message, /checksum/);
    assert.match(parsed.problems[2].message, /plugin/);
    for (const problem of parsed.problems) assert.ok(!problem.message.includes(damaged.slice(16, 40)) && !problem.message.includes('age1notakey'), 'a problem repeats the line');
  });

  it('accepts post-quantum identities and refuses passphrase-protected key files', () => {
    assert.equal(parseAgeIdentities('AGE-SECRET-KEY-PQ-1ABCDEF\n', false).identities.length, 1);
    const encrypted = parseAgeIdentities('age-encryption.org/v1\n-> scrypt abc 18\n', false);
    assert.deepEqual(encrypted.identities, []);
    assert.match(encrypted.problems[0].message, /passphrase/);
  });
});

describe('loadAgeIdentities', () => {
  it('collects every source in order, without duplicates, naming where each came from', async () => {
    const reader = memoryFileReader({
      '/keys/env.key': fileOf(keys[1]),
      '/repo/custom/setting.key': fileOf(keys[2]),
      '/home/me/sops-extension.key': fileOf(keys[3]),
      '/repo/age.key': `${fileOf(keys[4])}${keys[0].identity}\n`,
      '/home/me/.config/sops/age/keys.txt': fileOf(keys[5]),
    });
    const loaded = await loadAgeIdentities(
      {
        env: { SOPS_AGE_KEY: keys[0].identity, SOPS_AGE_KEY_FILE: '/keys/env.key' },
        settingKeyFile: 'custom/setting.key',
        sopsExtensionKeyFile: '~/sops-extension.key',
        workspaceRoot: '/repo',
        home: '/home/me',
      },
      reader,
    );
    assert.deepEqual(indexesOf(loaded.identities), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(
      loaded.found.map((found) => [found.kind, found.path, found.count, found.recipients]),
      [
        ['SOPS_AGE_KEY', undefined, 1, [keys[0].recipient]],
        ['SOPS_AGE_KEY_FILE', '/keys/env.key', 1, [keys[1].recipient]],
        ['setting', '/repo/custom/setting.key', 1, [keys[2].recipient]],
        ['sopsExtensionSetting', '/home/me/sops-extension.key', 1, [keys[3].recipient]],
        // keys[0] was already found in SOPS_AGE_KEY: counted once.
        ['workspace', '/repo/age.key', 1, [keys[4].recipient, keys[0].recipient]],
        ['userConfig', '/home/me/.config/sops/age/keys.txt', 1, [keys[5].recipient]],
      ],
    );
    assert.deepEqual(loaded.missing, []);
    assert.deepEqual(loaded.problems, []);
    assert.equal(loaded.found[2].label, 'clusterTemplate.sops.ageKeyFile (/repo/custom/setting.key)');
  });

  it('says what was missing, for a guided fix, and never puts a key in a description', async () => {
    const reader = memoryFileReader({ '/repo/age.key': '# created: 2026-01-01T00:00:00Z\n', '/xdg/sops/age/keys.txt': fileOf(keys[6]) });
    const loaded = await loadAgeIdentities({ env: { XDG_CONFIG_HOME: '/xdg', SOPS_AGE_KEY_FILE: 'missing.key' }, settingKeyFile: '', workspaceRoot: '/repo', home: '/home/me', cwd: '/work' }, reader);
    assert.deepEqual(indexesOf(loaded.identities), [6]);
    assert.deepEqual(
      loaded.missing.map((missing) => [missing.kind, missing.path, missing.reason]),
      [
        ['SOPS_AGE_KEY', undefined, 'not-set'],
        ['SOPS_AGE_KEY_FILE', '/work/missing.key', 'not-found'],
        ['setting', undefined, 'not-set'],
        ['sopsExtensionSetting', undefined, 'not-set'],
        ['workspace', '/repo/age.key', 'empty'],
      ],
    );
    const wanted = keys[0].recipient;
    const description = describeMissingIdentities(loaded, [wanted]);
    assert.ok(description.includes(wanted));
    assert.ok(description.includes('/repo/age.key (no key in it)'));
    assert.ok(description.includes('SOPS_AGE_KEY_FILE (/work/missing.key) (no such file)'));
    assert.ok(description.includes(`/xdg/sops/age/keys.txt (a key for ${keys[6].recipient})`));
    assert.ok(!description.includes('AGE-SECRET-KEY'), 'the description holds no secret key');
  });

  it('reads a file named by two sources once, and reports its bad lines with the source', async () => {
    const reader = memoryFileReader({ '/repo/age.key': `${fileOf(keys[0])}garbage\n` });
    const loaded = await loadAgeIdentities({ env: {}, settingKeyFile: 'age.key', sopsExtensionKeyFile: '${workspaceFolder}/age.key', workspaceRoot: '/repo' }, reader);
    assert.deepEqual(indexesOf(loaded.identities), [0]);
    assert.deepEqual(loaded.found.map((found) => found.kind), ['setting']);
    assert.deepEqual(loaded.problems.map((problem) => [problem.kind, problem.path, problem.line]), [['setting', '/repo/age.key', 4]]);
  });

  it('finds nothing at all without a home, a workspace or an environment', async () => {
    const loaded = await loadAgeIdentities({ env: {} }, memoryFileReader({}));
    assert.deepEqual(loaded.identities, []);
    assert.deepEqual(loaded.found, []);
    assert.deepEqual(loaded.missing.map((missing) => missing.kind), ['SOPS_AGE_KEY', 'SOPS_AGE_KEY_FILE', 'setting', 'sopsExtensionSetting']);
  });
});

describe('userConfigKeyFile', () => {
  it('follows Go\'s user config folder on each platform', () => {
    assert.equal(userConfigKeyFile({ env: {}, home: '/home/me' }), '/home/me/.config/sops/age/keys.txt');
    assert.equal(userConfigKeyFile({ env: { XDG_CONFIG_HOME: '/xdg' }, home: '/home/me' }), '/xdg/sops/age/keys.txt');
    // Go refuses a relative XDG_CONFIG_HOME on Linux (os.UserConfigDir fails; sops then reads no keys.txt).
    assert.equal(userConfigKeyFile({ env: { XDG_CONFIG_HOME: 'rel' }, home: '/home/me' }), undefined);
    assert.equal(userConfigKeyFile({ env: {}, home: '/Users/me', platform: 'darwin' }), '/Users/me/Library/Application Support/sops/age/keys.txt');
    assert.equal(userConfigKeyFile({ env: { XDG_CONFIG_HOME: '/xdg' }, home: '/Users/me', platform: 'darwin' }), '/xdg/sops/age/keys.txt');
    assert.equal(userConfigKeyFile({ env: {} }), undefined);
  });
});
