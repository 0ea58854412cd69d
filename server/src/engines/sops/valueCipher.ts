// One encrypted sops value: ENC[AES256_GCM,data:…,iv:…,tag:…,type:…] with AES-256-GCM (Node's
// crypto), a 32-byte IV and the key path as additional data, as sops' aes/cipher.go does; and the
// bytes sops hashes into the MAC for each leaf (sops.ToBytes).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { formatFloatF, GoBytes, GoTime, parseGoBool, parseGoFloat, parseGoInt, parseRfc3339Time, TreeComment, type TreeScalar } from './goValues';
import { SopsError } from './sopsError';

/** sops' IV length for AES-GCM (aes/cipher.go nonceSize). */
export const IV_SIZE = 32;
const TAG_SIZE = 16;

// Anchored at the start only, like sops' regexp: trailing text after ']' is tolerated.
const ENCRYPTED_VALUE = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/;

/** The value types sops writes after `type:`. */
type ValueType = 'str' | 'int' | 'float' | 'bool' | 'bytes' | 'time' | 'comment';

export interface ParsedEncryptedValue {
  data: Buffer;
  iv: Buffer;
  tag: Buffer;
  type: string;
}

export function parseEncryptedValue(text: string): ParsedEncryptedValue | undefined {
  const match = ENCRYPTED_VALUE.exec(text);
  if (!match) return undefined;
  return { data: Buffer.from(match[1], 'base64'), iv: Buffer.from(match[2], 'base64'), tag: Buffer.from(match[3], 'base64'), type: match[4] };
}

/** The plaintext bytes sops encrypts and hashes for a leaf (ToBytes; comments use their text). */
export function leafBytes(value: TreeScalar | TreeComment): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (typeof value === 'bigint') return Buffer.from(value.toString(), 'latin1');
  if (typeof value === 'number') return Buffer.from(formatFloatF(value), 'latin1');
  if (typeof value === 'boolean') return Buffer.from(value ? 'True' : 'False', 'latin1');
  if (value instanceof GoTime) return Buffer.from(value.text, 'latin1');
  if (value instanceof TreeComment) return Buffer.from(value.value, 'utf8');
  if (value instanceof GoBytes) return value.bytes;
  throw new SopsError('unsupported', 'a null value has no bytes');
}

function typeOf(value: TreeScalar | TreeComment): ValueType {
  if (typeof value === 'string' || value instanceof GoBytes) return 'str';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return 'float';
  if (typeof value === 'boolean') return 'bool';
  if (value instanceof GoTime) return 'time';
  if (value instanceof TreeComment) return 'comment';
  throw new SopsError('unsupported', 'a null value cannot be encrypted');
}

/** Empty strings and empty comments stay empty: sops neither encrypts nor hashes anything for them. */
export function isEmptyLeaf(value: TreeScalar | TreeComment): boolean {
  return value === '' || (value instanceof TreeComment && value.value === '') || (value instanceof GoBytes && value.bytes.length === 0);
}

/**
 * Encrypts a leaf for the key path `additionalData` (e.g. "stringData:token:"). `iv` is normally
 * fresh; a caller may pass the IV a previous version used for the same plaintext and path, as
 * sops' edit mode does, so unchanged values keep their ciphertext.
 */
export function encryptLeaf(value: TreeScalar | TreeComment, dataKey: Uint8Array, additionalData: string, iv: Uint8Array = randomBytes(IV_SIZE)): string {
  if (isEmptyLeaf(value)) return '';
  const type = typeOf(value);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv, { authTagLength: TAG_SIZE });
  cipher.setAAD(Buffer.from(additionalData, 'utf8'));
  const data = Buffer.concat([cipher.update(leafBytes(value)), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${Buffer.from(iv).toString('base64')},tag:${tag.toString('base64')},type:${type}]`;
}

export interface DecryptedLeaf {
  value: TreeScalar | TreeComment;
  /** What sops hashes for this leaf: the raw plaintext for str and bytes, ToBytes otherwise. */
  macBytes: Buffer;
  iv: Buffer;
}

/** Opens the AES-GCM box; undefined when authentication fails (wrong key, path or tampering). */
export function openValue(parsed: ParsedEncryptedValue, dataKey: Uint8Array, additionalData: string): Buffer | undefined {
  if (parsed.tag.length !== TAG_SIZE || parsed.iv.length === 0) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, parsed.iv, { authTagLength: TAG_SIZE });
    decipher.setAAD(Buffer.from(additionalData, 'utf8'));
    decipher.setAuthTag(parsed.tag);
    return Buffer.concat([decipher.update(parsed.data), decipher.final()]);
  } catch {
    // GCM authentication failure: reported by the caller, which knows the key path.
    return undefined;
  }
}

/**
 * Decrypts one ENC[…] leaf (sops' Cipher.Decrypt). `describe` names the leaf for messages (a key
 * path, never the value). Throws SopsError: 'value-auth' when GCM fails, 'parse' when the text is
 * not an encrypted value or its plaintext does not read as its type.
 */
export function decryptLeaf(text: string, dataKey: Uint8Array, additionalData: string, describe: string): DecryptedLeaf {
  const parsed = parseEncryptedValue(text);
  if (!parsed) throw new SopsError('parse', `${describe} is not an encrypted value`);
  const plain = openValue(parsed, dataKey, additionalData);
  if (!plain) throw new SopsError('value-auth', `${describe} failed authentication (wrong data key, or tampered value or key path)`);
  return { ...convertPlaintext(plain, parsed.type, describe), iv: parsed.iv };
}

export function convertPlaintext(plain: Buffer, type: string, describe: string): { value: TreeScalar | TreeComment; macBytes: Buffer } {
  const text = plain.toString('utf8');
  const bad = (what: string) => new SopsError('parse', `${describe} decrypts to something that is not ${what}`);
  switch (type) {
    case 'str':
      return { value: text, macBytes: plain };
    case 'bytes':
      // sops hashes the raw bytes; our tree holds text, which is what every store writes.
      return { value: text, macBytes: plain };
    case 'comment':
      return { value: new TreeComment(text), macBytes: plain };
    case 'int': {
      const value = parseGoInt(text);
      if (value === undefined) throw bad('an int');
      return { value, macBytes: leafBytes(value) };
    }
    case 'float': {
      const value = parseGoFloat(text);
      if (value === undefined) throw bad('a float');
      return { value, macBytes: leafBytes(value) };
    }
    case 'bool': {
      const value = parseGoBool(text);
      if (value === undefined) throw bad('a bool');
      return { value, macBytes: leafBytes(value) };
    }
    case 'time': {
      const value = parseRfc3339Time(text);
      if (value === undefined) throw bad('a time');
      return { value, macBytes: leafBytes(value) };
    }
    default:
      throw new SopsError('unsupported', `${describe} has the unknown value type '${type.slice(0, 20)}'`);
  }
}
