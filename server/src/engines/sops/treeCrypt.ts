// Encrypts and decrypts a sops tree in place and computes its MAC, walking it exactly as sops
// does (sops.go: walkBranch, walkSlice, shouldBeEncrypted, Tree.Encrypt, Tree.Decrypt): key paths
// without list indexes, comments kept on a stack for the comment regexes, nulls skipped, the
// SHA-512 over leaves in document order (only encrypted ones, with a fixed seed, when
// mac_only_encrypted is set).
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { GoBytes, TreeComment, TreeList, TreeMap, type TreeScalar, type TreeValue } from './goValues';
import { compileGoRegex } from './goRegex';
import { SopsError } from './sopsError';
import { decryptLeaf, encryptLeaf, isEmptyLeaf, IV_SIZE, leafBytes, openValue, parseEncryptedValue, convertPlaintext } from './valueCipher';

/** Which values a file encrypts: sops' partial-encryption options (at most one of the six). */
export interface CryptRule {
  encrypted_regex?: string;
  unencrypted_regex?: string;
  encrypted_suffix?: string;
  unencrypted_suffix?: string;
  encrypted_comment_regex?: string;
  unencrypted_comment_regex?: string;
  mac_only_encrypted?: boolean;
}

/** sops.DefaultUnencryptedSuffix: what a file with none of the six options uses. */
export const DEFAULT_UNENCRYPTED_SUFFIX = '_unencrypted';

/**
 * The first 32 bytes hashed when mac_only_encrypted is set (sops.MACOnlyEncryptedInitialization,
 * the SHA-256 of "sops"), so such a MAC always differs from a MAC over all values.
 */
export const MAC_ONLY_ENCRYPTED_SEED = Buffer.from('8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69', 'hex');

const RULE_OPTIONS = ['unencrypted_suffix', 'encrypted_suffix', 'unencrypted_regex', 'encrypted_regex', 'unencrypted_comment_regex', 'encrypted_comment_regex'] as const;

/** The rule as sops applies it: validated, with the default suffix when no option is set. */
export function effectiveRule(rule: CryptRule): CryptRule {
  const set = RULE_OPTIONS.filter((option) => (rule[option] ?? '') !== '');
  if (set.length > 1) {
    throw new SopsError('invalid-rule', `only one of ${RULE_OPTIONS.join(', ')} may be set (found ${set.join(', ')})`);
  }
  const effective: CryptRule = {};
  for (const option of set) effective[option] = rule[option];
  if (set.length === 0) effective.unencrypted_suffix = DEFAULT_UNENCRYPTED_SUFFIX;
  if (rule.mac_only_encrypted) effective.mac_only_encrypted = true;
  return effective;
}

/** An option's Go regular expression as a JavaScript RegExp (regexp.MatchString is an unanchored search, like test()). */
export function goRegExp(pattern: string, option: string): RegExp {
  const compiled = compileGoRegex(pattern);
  if ('error' in compiled) throw new SopsError('invalid-rule', `${option} is not a valid regular expression: ${compiled.error}`);
  return compiled.regex;
}

interface CompiledRule {
  unencryptedSuffix?: string;
  encryptedSuffix?: string;
  unencryptedRegex?: RegExp;
  encryptedRegex?: RegExp;
  unencryptedCommentRegex?: RegExp;
  encryptedCommentRegex?: RegExp;
  macOnlyEncrypted: boolean;
}

function compileRule(rule: CryptRule): CompiledRule {
  const regex = (option: keyof CryptRule) => {
    const value = rule[option];
    return typeof value === 'string' && value !== '' ? goRegExp(value, option) : undefined;
  };
  return {
    unencryptedSuffix: rule.unencrypted_suffix || undefined,
    encryptedSuffix: rule.encrypted_suffix || undefined,
    unencryptedRegex: regex('unencrypted_regex'),
    encryptedRegex: regex('encrypted_regex'),
    unencryptedCommentRegex: regex('unencrypted_comment_regex'),
    encryptedCommentRegex: regex('encrypted_comment_regex'),
    macOnlyEncrypted: rule.mac_only_encrypted === true,
  };
}

/** sops' Tree.shouldBeEncrypted. */
function shouldBeEncrypted(rule: CompiledRule, path: readonly string[], commentsStack: readonly string[][], isComment: boolean): boolean {
  let encrypted = true;
  if (rule.unencryptedSuffix !== undefined) {
    if (path.some((key) => key.endsWith(rule.unencryptedSuffix!))) encrypted = false;
  }
  if (rule.encryptedSuffix !== undefined) {
    encrypted = path.some((key) => key.endsWith(rule.encryptedSuffix!));
  }
  if (rule.unencryptedRegex) {
    if (path.some((key) => rule.unencryptedRegex!.test(key))) encrypted = false;
  }
  if (rule.encryptedRegex) {
    encrypted = path.some((key) => rule.encryptedRegex!.test(key));
  }
  if (rule.unencryptedCommentRegex) {
    if (commentsStack.some((level) => level.some((comment) => rule.unencryptedCommentRegex!.test(comment)))) encrypted = false;
  }
  if (rule.encryptedCommentRegex) {
    encrypted = false;
    const lastLevel = commentsStack.length - 1;
    const lastIndex = commentsStack[lastLevel].length - 1;
    search: for (let i = 0; i < commentsStack.length; i++) {
      for (let j = 0; j < commentsStack[i].length; j++) {
        // The comment line that matches is not itself encrypted, only what follows it.
        if (isComment && i === lastLevel && j === lastIndex) continue;
        if (rule.encryptedCommentRegex.test(commentsStack[i][j])) {
          encrypted = true;
          break search;
        }
      }
    }
  }
  return encrypted;
}

type LeafVisitor = (value: TreeScalar | TreeComment, path: string[], commentsStack: string[][]) => TreeScalar | TreeComment;

function walkValue(value: TreeValue, path: string[], commentsStack: string[][], visit: LeafVisitor): TreeValue {
  if (value === null) return null;
  if (value instanceof TreeMap) {
    walkMap(value, path, commentsStack, visit);
    return value;
  }
  if (value instanceof TreeList) {
    walkList(value, path, commentsStack, visit);
    return value;
  }
  return visit(value, path, commentsStack) as TreeScalar;
}

function walkList(list: TreeList, path: string[], outerStack: string[][], visit: LeafVisitor): void {
  const level: string[] = [];
  const commentsStack = [...outerStack, level];
  const items = list.items;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item instanceof TreeComment) {
      // A comment is active for the items after it, and for itself.
      level.push(item.value);
      items[i] = asComment(visit(item, path, commentsStack), item);
    } else {
      items[i] = walkValue(item, path, commentsStack, visit);
      level.length = 0;
    }
  }
}

function walkMap(map: TreeMap, path: string[], outerStack: string[][], visit: LeafVisitor): void {
  const level: string[] = [];
  const commentsStack = [...outerStack, level];
  const entries = map.entries;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (entry instanceof TreeComment) {
      level.push(entry.value);
      entries[i] = asComment(visit(entry, path, commentsStack), entry);
    } else {
      entry.value = walkValue(entry.value, [...path, entry.key], commentsStack, visit);
      level.length = 0;
    }
  }
}

function asComment(result: TreeScalar | TreeComment, original: TreeComment): TreeComment {
  if (result instanceof TreeComment) return result.inline === original.inline ? result : new TreeComment(result.value, original.inline);
  return new TreeComment(String(result ?? ''), original.inline);
}

function walkBranches(branches: readonly TreeMap[], visit: LeafVisitor): void {
  for (const branch of branches) walkMap(branch, [], [], visit);
}

function newMac(rule: CompiledRule): Hash {
  const hash = createHash('sha512');
  if (rule.macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_SEED);
  return hash;
}

function additionalDataOf(path: readonly string[]): string {
  return path.join(':') + ':';
}

function describePath(path: readonly string[]): string {
  return path.length === 0 ? 'a top-level comment' : `the value at '${path.join(':')}'`;
}

export interface EncryptTreeOptions {
  /**
   * IVs to reuse, keyed by additional data, type and plaintext (sops' edit-mode stash), so values
   * unchanged since the previous version keep their ciphertext. Only with the same data key.
   */
  ivStash?: Map<string, Buffer>;
}

export function stashKey(additionalData: string, value: TreeScalar | TreeComment): string {
  const kind = value instanceof TreeComment ? 'comment' : value instanceof GoBytes ? 'string' : typeof value === 'object' ? 'time' : typeof value;
  return `${additionalData}\u0000${kind}\u0000${leafBytes(value).toString('base64')}`;
}

/** Fresh IVs drawn from one random buffer at a time: one system call per 64 values, not per value. */
function ivSource(): () => Buffer {
  let pool = Buffer.alloc(0);
  let offset = 0;
  return () => {
    if (offset + IV_SIZE > pool.length) {
      pool = randomBytes(IV_SIZE * 64);
      offset = 0;
    }
    const iv = pool.subarray(offset, offset + IV_SIZE);
    offset += IV_SIZE;
    return iv;
  };
}

/** Encrypts every selected leaf in place (sops' Tree.Encrypt); returns the MAC, upper-case hex. */
export function encryptTree(branches: readonly TreeMap[], rule: CryptRule, dataKey: Uint8Array, options: EncryptTreeOptions = {}): string {
  const compiled = compileRule(rule);
  const mac = newMac(compiled);
  const nextIv = ivSource();
  walkBranches(branches, (value, path, commentsStack) => {
    const isComment = value instanceof TreeComment;
    const encrypted = shouldBeEncrypted(compiled, path, commentsStack, isComment);
    if ((!compiled.macOnlyEncrypted || encrypted) && !isComment) mac.update(leafBytes(value));
    if (!encrypted || isEmptyLeaf(value)) return value;
    const additionalData = additionalDataOf(path);
    const iv = options.ivStash?.get(stashKey(additionalData, value)) ?? nextIv();
    const text = encryptLeaf(value, dataKey, additionalData, iv);
    if (isComment) {
      if (compiled.unencryptedCommentRegex?.test(text)) {
        // Decryption would then skip it and break the MAC; sops refuses the same way.
        throw new SopsError('invalid-rule', 'an encrypted comment matches unencrypted_comment_regex');
      }
      return new TreeComment(text, value.inline);
    }
    return text;
  });
  return mac.digest('hex').toUpperCase();
}

/** Sees each decrypted leaf: its additional data, value, IV and plaintext bytes. */
export type LeafObserver = (additionalData: string, value: TreeScalar | TreeComment, iv: Buffer, plaintext: Buffer) => void;

export interface DecryptTreeResult {
  /** The MAC of the decrypted tree, upper-case hex. */
  mac: string;
}

/**
 * Decrypts every encrypted leaf in place (sops' Tree.Decrypt) and returns the MAC it computes.
 * Encrypted comments that do not open are kept as they are (sops warns and goes on); a value
 * that does not open throws 'value-auth'. `onLeaf` sees each decrypted leaf's IV (for a stash).
 */
export function decryptTree(branches: readonly TreeMap[], rule: CryptRule, dataKey: Uint8Array, onLeaf?: LeafObserver): DecryptTreeResult {
  const compiled = compileRule(rule);
  const mac = newMac(compiled);
  walkBranches(branches, (value, path, commentsStack) => {
    const isComment = value instanceof TreeComment;
    const encrypted = shouldBeEncrypted(compiled, path, commentsStack, isComment);
    let plain: TreeScalar | TreeComment = value;
    let macBytes: Buffer | undefined;
    if (encrypted) {
      if (value instanceof TreeComment) {
        plain = decryptComment(value, path, dataKey, onLeaf);
      } else if (typeof value === 'string') {
        if (value === '') {
          plain = '';
        } else {
          const additionalData = additionalDataOf(path);
          const leaf = decryptLeaf(value, dataKey, additionalData, describePath(path));
          if (leaf.value instanceof TreeComment) throw new SopsError('parse', `${describePath(path)} is a comment where a value belongs`);
          plain = leaf.value;
          macBytes = leaf.macBytes;
          onLeaf?.(additionalData, leaf.value, leaf.iv, leaf.macBytes);
        }
      } else {
        throw new SopsError('parse', `${describePath(path)} should be encrypted but is a plain ${plainKind(value)}`);
      }
    }
    if ((!compiled.macOnlyEncrypted || encrypted) && !(plain instanceof TreeComment)) mac.update(macBytes ?? leafBytes(plain));
    return plain;
  });
  return { mac: mac.digest('hex').toUpperCase() };
}

function plainKind(value: TreeScalar): string {
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return 'float';
  if (typeof value === 'boolean') return 'bool';
  if (value instanceof GoBytes) return 'bytes';
  return 'time';
}

/**
 * An encrypted comment opens with the path of the mapping that holds it. When our YAML reader
 * places a comment at another nesting level than go-yaml did, the enclosing paths are tried too;
 * GCM authentication tells which one is right.
 */
function decryptComment(comment: TreeComment, path: readonly string[], dataKey: Uint8Array, onLeaf?: LeafObserver): TreeComment {
  if (comment.value === '') return comment;
  const parsed = parseEncryptedValue(comment.value);
  if (!parsed) return comment;
  for (let depth = path.length; depth >= 0; depth--) {
    const additionalData = additionalDataOf(path.slice(0, depth));
    const plain = openValue(parsed, dataKey, additionalData);
    if (!plain) continue;
    try {
      const { value } = convertPlaintext(plain, parsed.type, 'a comment');
      const result = value instanceof TreeComment ? new TreeComment(value.value, comment.inline) : new TreeComment(String(value ?? ''), comment.inline);
      onLeaf?.(additionalData, result, parsed.iv, plain);
      return result;
    } catch {
      // Not a readable comment: keep it as written, like sops does for unopenable comments.
      return comment;
    }
  }
  return comment;
}
