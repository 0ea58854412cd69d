// Shared helpers for the SOPS format tests: fixture paths and the table of real sops-made files,
// unwrapping PGP data keys with Debian's gpg in a throw-away GNUPGHOME, and value comparisons
// whose failure messages never show a value.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { readSopsMetadata, storeOfPath, unwrapDataKey, type SopsMetadata } from '../../../server/src/engines/sops/sopsFormat';

export const REPO_ROOT = join(__dirname, '../../../..');
export const FIXTURES = join(REPO_ROOT, 'test/fixtures/sops');

export function fixtureText(relative: string): string {
  return readFileSync(join(FIXTURES, relative), 'utf8');
}

export type Verdict = 'ok' | 'mac-mismatch' | 'no-mac' | 'value-auth';

export interface FixtureCase {
  file: string;
  /** Key files shipped with the fixture: age identities, or one PGP key file (.asc, .pgp, .gpg). */
  keys: string[];
  verdict: Verdict;
  /** Scalar leaves (nulls and the metadata not counted) of the document, encrypted or decrypted. */
  leaves: number;
  /** The sops version that wrote it, from the metadata. */
  version: string;
}

const SOPS_PGP = 'getsops-sops/pgp/sops_functional_tests_key.asc';
const SOPS_AGE = 'getsops-sops/at-7ebee3dc/age/keys.txt';
const FLUX = 'fluxcd-kustomize-controller/internal/controller/testdata/sops';
const NIX = 'Mic92-sops-nix/pkgs/sops-install-secrets/test-assets';
const NOBBS = 'nobbs-terraform-provider-sops/test';
const ISINDIR = 'isindir-sops-secrets-operator/config/age-test-key';
const HELM = 'jkroepke-helm-secrets/tests/assets';

/** Every encrypted file in test/fixtures/sops (the README's table), with its keys and verdict. */
export const FIXTURE_CASES: FixtureCase[] = [
  { file: `${NIX}/secrets.yaml`, keys: [`${NIX}/age-keys.txt`], verdict: 'ok', leaves: 4, version: '3.7.1' },
  { file: `${NIX}/secrets.json`, keys: [`${NIX}/key.asc`], verdict: 'ok', leaves: 1, version: '3.5.0' },
  { file: `${NIX}/secrets.env`, keys: [`${NIX}/key.asc`], verdict: 'ok', leaves: 4, version: '3.7.3' },
  { file: `${NIX}/secrets.ini`, keys: [`${NIX}/key.asc`], verdict: 'ok', leaves: 3, version: '3.7.3' },
  { file: `${NIX}/secrets.bin`, keys: [`${NIX}/key.asc`], verdict: 'ok', leaves: 1, version: '3.5.0' },
  { file: 'carlpett-terraform-provider-sops/sops/test-fixtures/basic.yaml', keys: ['carlpett-terraform-provider-sops/test/testing-key.pgp'], verdict: 'ok', leaves: 4, version: '3.2.0' },
  { file: 'carlpett-terraform-provider-sops/sops/test-fixtures/complex-list.yaml', keys: ['carlpett-terraform-provider-sops/test/testing-key.pgp'], verdict: 'ok', leaves: 4, version: '3.2.0' },
  { file: `${FLUX}/algorithms/age.yaml`, keys: [`${FLUX}/keys/age.txt`], verdict: 'ok', leaves: 4, version: '3.9.0' },
  { file: `${FLUX}/algorithms/age-pq.yaml`, keys: [`${FLUX}/keys/age-pq.txt`], verdict: 'ok', leaves: 4, version: '3.12.1' },
  { file: `${FLUX}/algorithms/pgp.yaml`, keys: [`${FLUX}/keys/pgp.asc`], verdict: 'ok', leaves: 4, version: '3.9.0' },
  { file: `${FLUX}/envs/env.env`, keys: [`${FLUX}/keys/age.txt`], verdict: 'ok', leaves: 1, version: '3.9.0' },
  { file: `${FLUX}/files/file.txt`, keys: [`${FLUX}/keys/age.txt`], verdict: 'ok', leaves: 1, version: '3.9.0' },
  { file: `${FLUX}/global/secret.yaml`, keys: [`${FLUX}/keys/age-global.txt`], verdict: 'ok', leaves: 6, version: '3.10.2' },
  { file: 'getsops-sops/functional-tests/res/format.enc.yaml', keys: [SOPS_PGP], verdict: 'ok', leaves: 1, version: '3.13.1' },
  { file: 'getsops-sops/functional-tests/res/format.enc.json', keys: [SOPS_PGP], verdict: 'ok', leaves: 1, version: '3.13.1' },
  { file: 'getsops-sops/functional-tests/res/format.enc.env', keys: [SOPS_PGP], verdict: 'ok', leaves: 1, version: '3.13.1' },
  { file: 'getsops-sops/functional-tests/res/format.enc.ini', keys: [SOPS_PGP], verdict: 'ok', leaves: 1, version: '3.13.2' },
  { file: 'getsops-sops/functional-tests/res/format-2.enc.ini', keys: [SOPS_PGP], verdict: 'ok', leaves: 1, version: '3.13.1' },
  { file: 'getsops-sops/functional-tests/res/comments.enc.yaml', keys: [SOPS_PGP], verdict: 'ok', leaves: 2, version: '3.6.1' },
  { file: 'getsops-sops/functional-tests/res/multiple_keys.yaml', keys: [SOPS_PGP], verdict: 'ok', leaves: 1, version: '3.3.1' },
  { file: 'getsops-sops/functional-tests/res/no_mac.yaml', keys: [SOPS_PGP], verdict: 'no-mac', leaves: 1, version: '3.3.1' },
  { file: 'getsops-sops/example.yaml', keys: [SOPS_PGP], verdict: 'ok', leaves: 16, version: '3.10.2' },
  { file: 'getsops-sops/example.json', keys: [SOPS_PGP], verdict: 'ok', leaves: 12, version: '3.5.0' },
  { file: 'getsops-sops/example.ini', keys: [SOPS_PGP], verdict: 'ok', leaves: 10, version: '3.5.0' },
  { file: 'getsops-sops/example.txt', keys: [SOPS_PGP], verdict: 'ok', leaves: 1, version: '3.5.0' },
  { file: 'getsops-sops/pr-1031-0b07dfbc/example.yaml', keys: [SOPS_AGE], verdict: 'ok', leaves: 16, version: '3.7.1' },
  { file: 'getsops-sops/pr-1031-0b07dfbc/example.json', keys: [SOPS_AGE], verdict: 'ok', leaves: 12, version: '3.7.1' },
  { file: 'getsops-sops/pr-1031-0b07dfbc/example.ini', keys: [SOPS_AGE], verdict: 'ok', leaves: 10, version: '3.7.1' },
  { file: 'getsops-sops/pr-1031-0b07dfbc/example.txt', keys: [SOPS_AGE], verdict: 'ok', leaves: 1, version: '3.7.1' },
  { file: 'humphd-sops-age/tests/data/secret.enc.yaml', keys: ['humphd-sops-age/key.txt'], verdict: 'ok', leaves: 9, version: '3.8.1' },
  { file: 'humphd-sops-age/tests/data/secret.enc.json', keys: ['humphd-sops-age/key.txt'], verdict: 'ok', leaves: 10, version: '3.9.2' },
  { file: 'humphd-sops-age/tests/data/secret.enc.env', keys: ['humphd-sops-age/key.txt'], verdict: 'ok', leaves: 2, version: '3.8.1' },
  { file: 'humphd-sops-age/at-5db138f2/src/data/secret.enc.ini', keys: ['humphd-sops-age/key.txt'], verdict: 'ok', leaves: 2, version: '3.8.1' },
  { file: `${ISINDIR}/00-test-secrets.yaml`, keys: [`${ISINDIR}/key-file.txt`], verdict: 'ok', leaves: 20, version: '3.7.3' },
  { file: `${ISINDIR}/01-test-secrets.yaml`, keys: [`${ISINDIR}/key-file.txt`], verdict: 'value-auth', leaves: 9, version: '3.7.3' },
  { file: `${ISINDIR}/02-test-secrets.yaml`, keys: [`${ISINDIR}/key-file.txt`], verdict: 'ok', leaves: 7, version: '3.7.3' },
  { file: `${ISINDIR}/03-test-secrets-enforce-ownership.yaml`, keys: [`${ISINDIR}/key-file.txt`], verdict: 'ok', leaves: 8, version: '3.12.1' },
  { file: `${ISINDIR}/04-test-secrets-mac-only.yaml`, keys: [`${ISINDIR}/key-file.txt`], verdict: 'ok', leaves: 6, version: '3.13.1' },
  { file: `${HELM}/values/sops/secrets.age.yaml`, keys: [`${HELM}/age/key.txt`], verdict: 'ok', leaves: 3, version: '3.7.1' },
  { file: `${HELM}/values/sops/secrets.trailing-newline.yaml`, keys: [`${HELM}/gpg/private.gpg`], verdict: 'ok', leaves: 4, version: '3.13.1' },
  { file: `${HELM}/values/sops/secrets.trailing-newline.raw`, keys: [`${HELM}/gpg/private.gpg`], verdict: 'ok', leaves: 1, version: '3.10.2' },
  { file: `${NOBBS}/fixtures/basic.sops.yaml`, keys: [`${NOBBS}/age.key`], verdict: 'ok', leaves: 4, version: '3.9.1' },
  { file: `${NOBBS}/fixtures/basic.sops.json`, keys: [`${NOBBS}/age.key`], verdict: 'ok', leaves: 4, version: '3.9.1' },
  { file: `${NOBBS}/fixtures/complex.sops.yaml`, keys: [`${NOBBS}/age.key`], verdict: 'ok', leaves: 14, version: '3.9.1' },
  { file: `${NOBBS}/fixtures/complex.sops.json`, keys: [`${NOBBS}/age.key`], verdict: 'ok', leaves: 14, version: '3.9.1' },
  { file: `${NOBBS}/fixtures/dot.sops.env`, keys: [`${NOBBS}/age.key`], verdict: 'ok', leaves: 3, version: '3.9.1' },
  { file: `${NOBBS}/fixtures/sample.sops.ini`, keys: [`${NOBBS}/age.key`], verdict: 'ok', leaves: 8, version: '3.9.1' },
  { file: `${NOBBS}/fixtures/raw.sops.txt`, keys: [`${NOBBS}/age.key`], verdict: 'ok', leaves: 1, version: '3.9.1' },
  { file: `${NOBBS}/fixtures/post-quantum.sops.yaml`, keys: [`${NOBBS}/age-pq.key`], verdict: 'ok', leaves: 1, version: '3.13.2' },
  { file: `${NOBBS}/fixtures/basic-mac-mismatch.sops.yaml`, keys: [`${NOBBS}/age.key`], verdict: 'mac-mismatch', leaves: 4, version: '3.9.1' },
  { file: 'viaduct-ai-kustomize-sops/test/krm/envs/secret.enc.env', keys: ['viaduct-ai-kustomize-sops/test/key.asc'], verdict: 'ok', leaves: 2, version: '3.7.2' },
  { file: 'viaduct-ai-kustomize-sops/test/krm/single/secret.enc.yaml', keys: ['viaduct-ai-kustomize-sops/test/key.asc'], verdict: 'ok', leaves: 7, version: '3.7.2' },
];

export function isPgpKeyFile(file: string): boolean {
  return /\.(asc|pgp|gpg)$/.test(file);
}

/**
 * Decrypts the PGP-wrapped data key with gpg: the key file is imported into a temporary
 * GNUPGHOME that is removed afterwards; the key only travels through stdin/stdout pipes.
 */
export function unwrapWithGpg(metadata: SopsMetadata, keyFile: string): Buffer | undefined {
  const home = mkdtempSync(join(tmpdir(), 'ctt-sops-gpg-'));
  try {
    const env = { ...process.env, GNUPGHOME: home };
    const imported = spawnSync('gpg', ['--batch', '--import', join(FIXTURES, keyFile)], { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
    if (imported.status !== 0) throw new Error(`gpg could not import ${keyFile}`);
    for (const entry of metadata.pgp) {
      const result = spawnSync('gpg', ['--batch', '--quiet', '--decrypt'], { env, input: entry.enc, stdio: ['pipe', 'pipe', 'ignore'], timeout: 30_000 });
      if (result.status === 0 && result.stdout.length > 0) return result.stdout;
    }
    return undefined;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** The data key of a fixture, from its shipped age identities or PGP key. */
export async function fixtureDataKey(fixture: FixtureCase): Promise<Uint8Array | undefined> {
  const text = fixtureText(fixture.file);
  const metadata = readSopsMetadata(text, storeOfPath(fixture.file));
  if (!metadata) throw new Error(`${fixture.file} has no sops metadata`);
  if (isPgpKeyFile(fixture.keys[0])) return unwrapWithGpg(metadata, fixture.keys[0]);
  return unwrapDataKey(metadata, fixture.keys.map(fixtureText));
}

/** Deep equality whose failure message names the comparison, never the values. */
export function sameValue(actual: unknown, expected: unknown): boolean {
  return isDeepStrictEqual(actual, expected);
}

/** Scalar leaves of parsed data (null and empty collections do not count). */
export function countLeaves(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + countLeaves(item), 0);
  if (typeof value === 'object' && !(value instanceof Date)) return Object.values(value as object).reduce((sum: number, item) => sum + countLeaves(item), 0);
  return 1;
}

/** Key paths of parsed data in document order (list items do not add a component), for structure checks. */
export function keyPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => keyPaths(item, `${prefix}[${index}]`));
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.entries(value as object).flatMap(([key, item]) => [`${prefix}/${key}`, ...keyPaths(item, `${prefix}/${key}`)]);
  }
  return [];
}

/** Simple KEY=value / [section] readers for the flat stores, as plain objects. */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const equals = line.indexOf('=');
    out[line.slice(0, equals)] = line.slice(equals + 1);
  }
  return out;
}

export function parseIni(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = { DEFAULT: {} };
  let section = out.DEFAULT;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith(';') || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      section = out[line.slice(1, line.lastIndexOf(']'))] ??= {};
      continue;
    }
    const equals = line.indexOf('=');
    section[line.slice(0, equals).trim()] = line.slice(equals + 1).trim();
  }
  return out;
}
