// The SOPS session on an in-memory workspace with fake writers and process runners: which files it
// checks, the facts behind its diagnostics (rules, keys, recipients, restricted mode), and how its
// commands fail without touching the file or leaking plaintext (failed writes, files changed
// meanwhile, a missing sops binary, an age.key created by someone else first).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Diagnostic } from 'vscode-languageserver-types';
import { generateAgeKeyPair } from '../../../server/src/engines/sops/ageKey';
import { encryptSops } from '../../../server/src/engines/sops/sopsFormat';
import { memoryFileReader, type FileReader } from '../../../server/src/host/fileReader';
import type { ProcessRunner } from '../../../server/src/host/processRunner';
import { SopsSession, type SecretWriter, type SopsSessionDeps } from '../../../server/src/workspace/sopsSession';

const ROOT = '/ws';
const SECRET = `${ROOT}/kubernetes/apps/x/secret.sops.yaml`;
const PLAINTEXT = 'apiVersion: v1\nkind: Secret\nstringData:\n  token: do-not-print-me\n';
const KEY = generateAgeKeyPair();
const OTHER_KEY = generateAgeKeyPair();
const sopsConfig = (recipient: string): string =>
  `creation_rules:\n  - path_regex: kubernetes/.*\\.sops\\.ya?ml\n    encrypted_regex: "^(data|stringData)$"\n    mac_only_encrypted: true\n    age: "${recipient}"\nstores:\n  yaml:\n    indent: 2\n`;

interface Harness {
  session: SopsSession;
  files: Record<string, string>;
  published: Map<string, Diagnostic[]>;
  writes: string[];
}

function harness(options: {
  files?: Record<string, string>;
  isTrusted?: boolean;
  env?: Record<string, string>;
  engine?: 'native' | 'cli';
  writer?: Partial<SecretWriter>;
  reader?: (files: Record<string, string>) => FileReader;
  runner?: ProcessRunner;
} = {}): Harness {
  const files: Record<string, string> = { [`${ROOT}/.sops.yaml`]: sopsConfig(KEY.recipient), ...options.files };
  const published = new Map<string, Diagnostic[]>();
  const writes: string[] = [];
  const writer: SecretWriter = {
    replace: async (filePath, content) => {
      writes.push(filePath);
      files[filePath] = typeof content === 'string' ? content : new TextDecoder().decode(content);
    },
    createExclusive: async (filePath, content) => {
      if (files[filePath] !== undefined) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
      writes.push(filePath);
      files[filePath] = content;
    },
    ...options.writer,
  };
  const deps: SopsSessionDeps = {
    reader: options.reader ? options.reader(files) : memoryFileReader(files),
    writer,
    runner: options.runner ?? { run: async () => ({ exitCode: null, stdout: '', stderr: '', isTimedOut: false, spawnError: 'ENOENT' }) },
    roots: () => [ROOT],
    isTrusted: () => options.isTrusted ?? true,
    settings: () => ({ engine: options.engine ?? 'native', ageKeyFile: '' }),
    otherExtensionAgeKeyFile: () => undefined,
    env: () => options.env ?? { SOPS_AGE_KEY: KEY.identity },
    home: () => '/home/nobody',
    openDocument: () => undefined,
    publish: (filePath, diagnostics) => published.set(filePath, diagnostics),
    log: () => undefined,
    now: () => new Date('2026-01-02T03:04:05Z'),
  };
  return { session: new SopsSession(deps), files, published, writes };
}

async function encrypted(recipient = KEY.recipient): Promise<string> {
  return encryptSops(PLAINTEXT, 'yaml', { rule: { encrypted_regex: '^(data|stringData)$', mac_only_encrypted: true }, ageRecipients: [recipient], indent: 2 });
}

const codes = (diagnostics: Diagnostic[]): string[] => diagnostics.map((d) => String(d.code));
const messages = (diagnostics: Diagnostic[]): string => diagnostics.map((d) => (typeof d.message === 'string' ? d.message : d.message.value)).join('\n');

describe('SOPS session: which files are secrets', () => {
  it('takes *.sops.* files outside templates/, .git and node_modules, and not the .sops.yaml config or .j2 sources', () => {
    const { session } = harness();
    const cases: [string, boolean][] = [
      [SECRET, true],
      [`${ROOT}/talos/talsecret.sops.yaml`, true],
      [`${ROOT}/bootstrap/github.sops.env`, true],
      [`${ROOT}/kubernetes/apps/x/templates/helm.sops.yaml`, true],
      [`${ROOT}/templates/config/kubernetes/secret.sops.yaml`, false],
      [`${ROOT}/templates/config/kubernetes/secret.sops.yaml.j2`, false],
      [`${ROOT}/.sops.yaml`, false],
      [`${ROOT}/node_modules/pkg/secret.sops.yaml`, false],
      [`${ROOT}/kubernetes/apps/x/secret.yaml`, false],
    ];
    assert.deepEqual(cases.map(([filePath]) => [filePath, session.isSecretFile(filePath)]), cases);
  });
});

describe('SOPS session: diagnostics facts', () => {
  it('checks an encrypted file with the identities found: sound, not a recipient, or no key at all', async () => {
    const text = await encrypted();
    assert.deepEqual(await harness().session.diagnosticsFor(SECRET, text), []);
    const notRecipient = await harness({ env: { SOPS_AGE_KEY: OTHER_KEY.identity } }).session.diagnosticsFor(SECRET, text);
    assert.deepEqual(codes(notRecipient), ['sops-not-a-recipient']);
    const noKey = await harness({ env: {} }).session.diagnosticsFor(SECRET, text);
    assert.deepEqual(codes(noKey), ['sops-no-age-key']);
    assert.match(messages(noKey), /\/ws\/age\.key/);
  });

  it('reports a path no rule matches, a missing .sops.yaml and an unusable rule', async () => {
    const { session } = harness({ files: { [`${ROOT}/.sops.yaml`]: sopsConfig(KEY.recipient) } });
    assert.deepEqual(codes(await session.diagnosticsFor(`${ROOT}/elsewhere/x.sops.yaml`, await encrypted())), ['sops-no-creation-rule']);
    const noConfig = harness();
    delete noConfig.files[`${ROOT}/.sops.yaml`];
    assert.match(messages(await noConfig.session.diagnosticsFor(SECRET, await encrypted())), /No \.sops\.yaml/);
    const badRule = harness({ files: { [`${ROOT}/.sops.yaml`]: sopsConfig('not-an-age-recipient') } });
    const unusable = await badRule.session.diagnosticsFor(SECRET, await encrypted());
    assert.deepEqual(codes(unusable), ['sops-no-creation-rule']);
    assert.match(messages(unusable), /creation rule 1/);
  });

  it('in restricted mode reads no key and decrypts nothing, but still flags plaintext', async () => {
    const { session } = harness({ isTrusted: false, env: {} });
    assert.deepEqual(codes(await session.diagnosticsFor(SECRET, PLAINTEXT)), ['sops-plaintext-secret']);
    const tampered = (await encrypted()).replace(/(token: ENC\[AES256_GCM,data:)(.)/, (_, head: string, c: string) => head + (c === 'A' ? 'B' : 'A'));
    assert.deepEqual(await session.diagnosticsFor(SECRET, tampered), []);
  });

  it('publishes for files on disk at workspace load and clears a deleted one', async () => {
    const h = harness({ files: { [SECRET]: PLAINTEXT, [`${ROOT}/templates/config/x.sops.yaml`]: PLAINTEXT } });
    await h.session.scanRoots();
    assert.deepEqual([...h.published.keys()], [SECRET]);
    assert.deepEqual(codes(h.published.get(SECRET)!), ['sops-plaintext-secret']);
    delete h.files[SECRET];
    h.session.filesChanged([{ filePath: SECRET, isDeleted: true }]);
    await h.session.scanRoots();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(h.published.get(SECRET), []);
  });
});

describe('SOPS session: commands that cannot complete leave the file alone', () => {
  it('a failed write reports the reason without content, and the file stays as it was', async () => {
    const h = harness({
      files: { [SECRET]: PLAINTEXT },
      writer: { replace: async () => Promise.reject(Object.assign(new Error('denied'), { code: 'EACCES' })) },
    });
    const result = await h.session.encryptFile(SECRET);
    assert.equal(result.outcome, 'failed');
    assert.match(result.message, /permission denied.*as it was/);
    assert.ok(h.files[SECRET] === PLAINTEXT && !result.message.includes('do-not-print-me'), 'the file changed or the message quotes it');
  });

  it('a file changed on disk while it was encrypted is not overwritten', async () => {
    let reads = 0;
    const h = harness({
      files: { [SECRET]: PLAINTEXT },
      // The second read (just before the write) sees an editor's save.
      reader: (files) => ({ ...memoryFileReader(files), readText: async (filePath) => (filePath === SECRET && ++reads > 1 ? PLAINTEXT + '# saved meanwhile\n' : files[filePath]) }),
    });
    const result = await h.session.encryptFile(SECRET);
    assert.equal(result.outcome, 'failed');
    assert.match(result.message, /changed on disk meanwhile/);
    assert.deepEqual(h.writes, []);
  });

  it('never encrypts an encrypted file or decrypts a tampered one', async () => {
    const text = await encrypted();
    const h = harness({ files: { [SECRET]: text } });
    assert.equal((await h.session.encryptFile(SECRET)).outcome, 'unchanged');
    h.files[SECRET] = text.replace(/^ {2}token: .*\n/m, '');
    const refused = await h.session.decryptFile(SECRET);
    assert.equal(refused.outcome, 'refused');
    assert.match(refused.message, /MAC/);
    assert.deepEqual(h.writes, []);
  });

  it('says plainly when the sops program it needs is missing', async () => {
    const h = harness({ files: { [SECRET]: PLAINTEXT }, engine: 'cli' });
    const result = await h.session.encryptFile(SECRET);
    assert.equal(result.outcome, 'failed');
    assert.match(result.message, /sops program .* not installed or not on PATH/);
    assert.deepEqual(h.writes, []);
  });

  it('an age.key that appears between the check and the write is kept, and only its public key is told', async () => {
    const h = harness({
      writer: {
        createExclusive: async (filePath) => {
          h.files[filePath] = `# public key: ${OTHER_KEY.recipient}\n${OTHER_KEY.identity}\n`;
          throw Object.assign(new Error('exists'), { code: 'EEXIST' });
        },
      },
    });
    const result = await h.session.generateAgeKey(ROOT);
    assert.deepEqual([result.outcome, result.publicKey], ['exists', OTHER_KEY.recipient]);
    assert.ok(!JSON.stringify(result).includes('AGE-SECRET-KEY'), 'the answer carries a private key');
  });

  it('a new age.key is created with mode 0600 and the answer names where it is used', async () => {
    const modes: number[] = [];
    const created: Harness = harness({
      files: { [`${ROOT}/.gitignore`]: 'age.key\n' },
      writer: {
        createExclusive: async (filePath, content, mode) => {
          modes.push(mode);
          created.files[filePath] = content;
        },
      },
    });
    const result = await created.session.generateAgeKey(ROOT);
    assert.equal(result.outcome, 'created');
    assert.ok(/^# public key: age1\w+$/m.test(created.files[`${ROOT}/age.key`]), 'age.key has no public key line');
    assert.deepEqual(modes, [0o600]);
    assert.match(result.message, /\.sops\.yaml.*Flux/);
    assert.doesNotMatch(result.message, /gitignore/);
  });
});
