// Whether a `*.sops.*` file is encrypted, plaintext (a secret about to leak) or broken, judged
// from its text alone (no key needed), and where such files are in a repository (outside the
// templates/ folder, which holds the unrendered .j2 sources). Reasons never quote the file.
import * as path from 'node:path';
import type { FileReader } from '../../host/fileReader';
import { SopsError } from './sopsError';
import { readSopsMetadata, storeOfPath, type SopsMetadata } from './sopsFormat';

export type SecretState = 'encrypted' | 'plaintext' | 'broken';

export interface SecretStatus {
  state: SecretState;
  /** Why a file is broken (or, for plaintext, what to do); absent for a sound encrypted file. */
  reason?: string;
}

/** Folders never searched for secrets: version control, dependencies, and the templates makejinja renders from. */
const SKIPPED_FOLDERS = new Set(['.git', 'node_modules']);
const TEMPLATES_FOLDER = 'templates';

// sops' value syntax; anything else that starts with ENC[ was damaged (aes/cipher.go encre).
const ENCRYPTED_VALUE = /^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]+,tag:[A-Za-z0-9+/=]+,type:[a-z]+\]/;

/**
 * Whether a file name is a sops secret by cluster-template's convention: `.sops.` inside the
 * name, with something before and after (`secret.sops.yaml`, `cluster.sops.env`).
 * @example isSecretFileName('secret.sops.yaml') // true
 */
export function isSecretFileName(fileName: string): boolean {
  const index = fileName.indexOf('.sops.');
  return index > 0 && index + '.sops.'.length < fileName.length && !fileName.endsWith('.j2');
}

function damagedValueCount(text: string): number {
  let count = 0;
  for (let index = text.indexOf('ENC['); index >= 0; index = text.indexOf('ENC[', index + 4)) {
    if (!ENCRYPTED_VALUE.test(text.slice(index, index + 4096))) count++;
  }
  return count;
}

/**
 * Classifies a secret file's text. Encrypted: sops metadata that reads, with a MAC and at least
 * one key, and every ENC[…] value well formed. Plaintext: no sops metadata and no ENC[…] value.
 * Broken: anything else (unreadable text, damaged metadata or values, values without metadata).
 * Without the key it cannot tell whether a value was decrypted by hand inside an encrypted file;
 * decrypting (the MAC check) does.
 * @example classifySecretText('apiVersion: v1\nkind: Secret\nstringData:\n  a: b\n', '/r/k/secret.sops.yaml') // { state: 'plaintext', reason: … }
 */
export function classifySecretText(text: string, filePath: string): SecretStatus {
  if (text.trim() === '') return { state: 'broken', reason: 'the file is empty' };
  const store = storeOfPath(filePath);
  let metadata: SopsMetadata | undefined;
  try {
    metadata = readSopsMetadata(text, store);
  } catch (error) {
    return { state: 'broken', reason: reasonOf(error, store) };
  }
  if (!metadata) {
    if (text.includes('ENC[AES256_GCM,')) return { state: 'broken', reason: 'it has encrypted values but no sops metadata (was the sops block removed?)' };
    return { state: 'plaintext', reason: 'plaintext secret: encrypt it before committing' };
  }
  const keyCount = metadata.age.length + metadata.pgp.length + Object.values(metadata.otherKeys).reduce((sum, list) => sum + list.length, 0) + (metadata.key_groups?.length ?? 0);
  if (keyCount === 0) return { state: 'broken', reason: 'the sops metadata lists no key, so nobody can decrypt it' };
  if (metadata.mac === '') return { state: 'broken', reason: 'the sops metadata has no MAC; sops refuses such a file' };
  if (!ENCRYPTED_VALUE.test(metadata.mac)) return { state: 'broken', reason: 'the MAC in the sops metadata is damaged' };
  const damaged = damagedValueCount(text);
  if (damaged > 0) return { state: 'broken', reason: `${damaged} encrypted value(s) are damaged (ENC[…] not in sops' format)` };
  return { state: 'encrypted' };
}

function reasonOf(error: unknown, store: string): string {
  if (error instanceof SopsError) return error.message;
  // Parser messages can quote the text; say only what kind of problem it is.
  return `the file cannot be read as ${store}`;
}

/**
 * Every `*.sops.*` file under `root`, sorted, leaving out templates/ (at the root), .git and
 * node_modules anywhere.
 * @example await findSecretFiles('/repo', reader) // ['/repo/kubernetes/apps/x/secret.sops.yaml', …]
 */
export async function findSecretFiles(root: string, reader: FileReader): Promise<string[]> {
  const files = reader.listFiles ? await reader.listFiles(root) : [];
  const found: string[] = [];
  for (const filePath of files) {
    const relative = path.relative(root, filePath);
    if (relative.startsWith('..') || path.isAbsolute(relative)) continue;
    const parts = relative.split(path.sep);
    if (parts[0] === TEMPLATES_FOLDER && parts.length > 1) continue;
    if (parts.slice(0, -1).some((part) => SKIPPED_FOLDERS.has(part))) continue;
    if (isSecretFileName(parts[parts.length - 1])) found.push(filePath);
  }
  return found.sort();
}
