// The sops data key wrapped for age recipients, as sops' age/keysource.go does it: one armored age
// file per recipient whose plaintext is the 32-byte key. The age format, post-quantum hybrid keys
// and armor come from the age-encryption package; X25519 stanzas are computed with Node's crypto
// (same stanza bytes, much faster than WebCrypto through the package). No I/O.
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, type KeyObject } from 'node:crypto';
import type { SopsAgeKey, SopsMetadata } from './metadata';
import { SopsError } from './sopsError';

/** The length of a sops data key (AES-256). */
export const DATA_KEY_SIZE = 32;

type AgeModule = typeof import('age-encryption', { with: { 'resolution-mode': 'import' } });
type AgeStanza = InstanceType<AgeModule['Stanza']>;

let ageModule: Promise<AgeModule> | undefined;

/** age-encryption is ESM-only: a real dynamic import, kept as import() by tsc for CommonJS. */
function loadAge(): Promise<AgeModule> {
  ageModule ??= import('age-encryption');
  return ageModule;
}

// ---------------------------------------------------------------------------------------------
// Bech32 (BIP 173, without the 90-character limit, as age uses it)

const BECH32_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const BECH32_GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function bech32Polymod(values: number[]): number {
  let checksum = 1;
  for (const value of values) {
    const top = checksum >>> 25;
    checksum = ((checksum & 0x1ffffff) << 5) ^ value;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) checksum ^= BECH32_GENERATOR[i];
  }
  return checksum >>> 0;
}

function hrpExpand(hrp: string): number[] {
  const codes = [...hrp].map((ch) => ch.charCodeAt(0));
  return [...codes.map((c) => c >> 5), 0, ...codes.map((c) => c & 31)];
}

function convertBits(data: readonly number[], from: number, to: number, pad: boolean): number[] | undefined {
  let accumulator = 0;
  let bits = 0;
  const out: number[] = [];
  const max = (1 << to) - 1;
  for (const value of data) {
    accumulator = (accumulator << from) | value;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((accumulator >> bits) & max);
    }
  }
  if (pad) {
    if (bits > 0) out.push((accumulator << (to - bits)) & max);
  } else if (bits >= from || ((accumulator << (to - bits)) & max) !== 0) {
    return undefined;
  }
  return out;
}

function bech32Decode(text: string): { hrp: string; bytes: Buffer } | undefined {
  if (text !== text.toLowerCase() && text !== text.toUpperCase()) return undefined;
  const lower = text.toLowerCase();
  const separator = lower.lastIndexOf('1');
  if (separator < 1 || separator + 7 > lower.length) return undefined;
  const hrp = lower.slice(0, separator);
  const data: number[] = [];
  for (const ch of lower.slice(separator + 1)) {
    const value = BECH32_CHARSET.indexOf(ch);
    if (value === -1) return undefined;
    data.push(value);
  }
  if (bech32Polymod([...hrpExpand(hrp), ...data]) !== 1) return undefined;
  const bytes = convertBits(data.slice(0, -6), 5, 8, false);
  return bytes ? { hrp, bytes: Buffer.from(bytes) } : undefined;
}

function bech32Encode(hrp: string, bytes: Uint8Array): string {
  const data = convertBits([...bytes], 8, 5, true)!;
  const checksum = bech32Polymod([...hrpExpand(hrp), ...data, 0, 0, 0, 0, 0, 0]) ^ 1;
  const check = [0, 1, 2, 3, 4, 5].map((i) => (checksum >>> (5 * (5 - i))) & 31);
  return hrp + '1' + [...data, ...check].map((value) => BECH32_CHARSET[value]).join('');
}

// ---------------------------------------------------------------------------------------------
// X25519 recipients and identities (age spec: HKDF-SHA-256 over the shared secret, salt =
// ephemeral share || recipient, label "age-encryption.org/v1/X25519", ChaCha20-Poly1305 with a
// zero nonce over the 16-byte file key)

const X25519_LABEL = Buffer.from('age-encryption.org/v1/X25519');
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const ZERO_NONCE = Buffer.alloc(12);

function x25519PublicKey(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_X25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

/**
 * Key objects derived from identities and recipients, reused across calls: importing a key costs
 * more than the X25519 operation itself. Bounded; holds nothing that is not derivable from the
 * strings the caller already holds.
 */
class KeyObjectMemo<T> {
  private readonly entries = new Map<string, T>();
  constructor(private readonly limit: number) {}

  get(key: string, make: () => T): T {
    let value = this.entries.get(key);
    if (value === undefined) {
      value = make();
      if (this.entries.size >= this.limit) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(key, value);
    }
    return value;
  }
}

const identityMemo = new KeyObjectMemo<NodeX25519Identity | null>(16);
const recipientMemo = new KeyObjectMemo<KeyObject>(64);

function rawPublicKey(key: KeyObject): Buffer {
  return (key.export({ format: 'der', type: 'spki' }) as Buffer).subarray(-32);
}

function wrapKeyFor(shared: Buffer, share: Uint8Array, recipient: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([share, recipient]), X25519_LABEL, 32));
}

function base64NoPad(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}

class NodeX25519Recipient {
  constructor(
    private readonly publicKey: Buffer,
    private readonly makeStanza: (args: string[], body: Uint8Array) => AgeStanza,
  ) {}

  wrapFileKey(fileKey: Uint8Array): AgeStanza[] {
    const ephemeral = generateKeyPairSync('x25519');
    const share = rawPublicKey(ephemeral.publicKey);
    const recipientKey = recipientMemo.get(this.publicKey.toString('base64'), () => x25519PublicKey(this.publicKey));
    const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipientKey });
    const cipher = createCipheriv('chacha20-poly1305', wrapKeyFor(shared, share, this.publicKey), ZERO_NONCE, { authTagLength: 16 });
    const body = Buffer.concat([cipher.update(fileKey), cipher.final(), cipher.getAuthTag()]);
    return [this.makeStanza(['X25519', base64NoPad(share)], body)];
  }
}

class NodeX25519Identity {
  readonly recipient: string;
  private readonly privateKey: KeyObject;
  private readonly publicKey: Buffer;

  constructor(secret: Uint8Array) {
    this.privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, secret]), format: 'der', type: 'pkcs8' });
    this.publicKey = rawPublicKey(createPublicKey(this.privateKey));
    this.recipient = bech32Encode('age', this.publicKey);
  }

  unwrapFileKey(stanzas: AgeStanza[]): Uint8Array | null {
    for (const stanza of stanzas) {
      if (stanza.args[0] !== 'X25519') continue;
      if (stanza.args.length !== 2 || stanza.body.length !== 32) throw new Error('invalid X25519 stanza');
      const share = Buffer.from(stanza.args[1], 'base64');
      if (share.length !== 32) throw new Error('invalid X25519 stanza');
      let shared: Buffer;
      try {
        shared = diffieHellman({ privateKey: this.privateKey, publicKey: x25519PublicKey(share) });
      } catch {
        throw new Error('invalid X25519 stanza');
      }
      if (shared.every((byte) => byte === 0)) throw new Error('invalid X25519 stanza');
      try {
        const decipher = createDecipheriv('chacha20-poly1305', wrapKeyFor(shared, share, this.publicKey), ZERO_NONCE, { authTagLength: 16 });
        decipher.setAuthTag(stanza.body.subarray(16));
        return Buffer.concat([decipher.update(stanza.body.subarray(0, 16)), decipher.final()]);
      } catch {
        // Not wrapped for this identity: try the next stanza.
      }
    }
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Identities and recipients from text

const IDENTITY_LINE = /^AGE-SECRET-KEY-(?:PQ-)?1[0-9A-Z]+$/;

/** The age identities in the given strings (single keys or whole key files; comments ignored). */
export function ageIdentityLines(sources: readonly string[]): string[] {
  const found: string[] = [];
  for (const source of sources) {
    for (const raw of source.split(/\r?\n/)) {
      const line = raw.trim();
      if (IDENTITY_LINE.test(line) && !found.includes(line)) found.push(line);
    }
  }
  return found;
}

function x25519IdentityOf(identity: string): NodeX25519Identity | undefined {
  if (!identity.startsWith('AGE-SECRET-KEY-1')) return undefined;
  const derived = identityMemo.get(identity, () => {
    const decoded = bech32Decode(identity);
    if (!decoded || decoded.hrp !== 'age-secret-key-' || decoded.bytes.length !== 32) return null;
    return new NodeX25519Identity(decoded.bytes);
  });
  return derived ?? undefined;
}

/** The X25519 public key of an age1… recipient, or undefined for other recipient kinds. */
function x25519RecipientKey(recipient: string): Buffer | undefined {
  if (!recipient.startsWith('age1') || recipient.startsWith('age1pq1') || recipient.startsWith('age1tag')) return undefined;
  const decoded = bech32Decode(recipient);
  if (!decoded || decoded.hrp !== 'age' || decoded.bytes.length !== 32) return undefined;
  return decoded.bytes;
}

/** The public age recipient (age1…) of an X25519 identity, for display; undefined for others. */
export function ageRecipientOf(identity: string): string | undefined {
  return x25519IdentityOf(identity.trim())?.recipient;
}

// ---------------------------------------------------------------------------------------------
// Wrapping and unwrapping the data key

/**
 * Encrypts the data key for each recipient (age1… X25519 or age1pq1… hybrid), armored as sops
 * writes it. Example: wrapDataKey(key, ['age1yt3t…']) → [{ recipient: 'age1yt3t…', enc: '-----BEGIN AGE…' }].
 */
export async function wrapDataKey(dataKey: Uint8Array, ageRecipients: readonly string[]): Promise<SopsAgeKey[]> {
  const age = await loadAge();
  const makeStanza = (args: string[], body: Uint8Array) => new age.Stanza(args, body);
  const result: SopsAgeKey[] = [];
  for (const raw of ageRecipients) {
    const recipient = raw.trim();
    const encrypter = new age.Encrypter();
    const x25519 = x25519RecipientKey(recipient);
    if (x25519) {
      encrypter.addRecipient(new NodeX25519Recipient(x25519, makeStanza));
    } else if (recipient.startsWith('age1')) {
      try {
        encrypter.addRecipient(recipient);
      } catch {
        throw new SopsError('invalid-rule', `'${recipient.slice(0, 12)}…' is not a valid age recipient`);
      }
    } else {
      throw new SopsError('unsupported', `only age recipients (age1…) can be encrypted for natively, not '${recipient.slice(0, 12)}…'`);
    }
    const file = await encrypter.encrypt(dataKey);
    result.push({ recipient, enc: age.armor.encode(file) });
  }
  return result;
}

/**
 * Decrypts the data key with the first identity that opens one of the file's age entries (X25519
 * and post-quantum hybrid identities; key-file text is accepted). Undefined when none opens.
 * Throws 'unsupported' for Shamir key groups, 'parse' when the key is not 32 bytes.
 */
export async function unwrapDataKey(metadata: Pick<SopsMetadata, 'age' | 'key_groups'>, ageIdentities: readonly string[]): Promise<Uint8Array | undefined> {
  if (metadata.key_groups && metadata.key_groups.length > 0) {
    throw new SopsError('unsupported', 'files split into Shamir key groups need the sops binary');
  }
  const identities = ageIdentityLines(ageIdentities);
  if (identities.length === 0 || metadata.age.length === 0) return undefined;
  const age = await loadAge();
  const x25519 = identities.map(x25519IdentityOf).filter((identity): identity is NodeX25519Identity => identity !== undefined);
  const others = identities.filter((identity) => !identity.startsWith('AGE-SECRET-KEY-1'));
  const ours = new Set(x25519.map((identity) => identity.recipient));
  // Entries addressed to one of our X25519 keys first: usually the first attempt opens.
  const entries = [...metadata.age].sort((a, b) => Number(ours.has(b.recipient.trim())) - Number(ours.has(a.recipient.trim())));
  for (const entry of entries) {
    let file: Uint8Array;
    try {
      file = age.armor.decode(entry.enc);
    } catch {
      continue;
    }
    const decrypter = new age.Decrypter();
    for (const identity of x25519) decrypter.addIdentity(identity);
    for (const identity of others) decrypter.addIdentity(identity);
    let key: Uint8Array;
    try {
      key = await decrypter.decrypt(file);
    } catch {
      // Not for our identities (or unreadable): try the next entry, as sops does.
      continue;
    }
    if (key.length !== DATA_KEY_SIZE) throw new SopsError('parse', `the data key in the age entry is ${key.length} bytes, not ${DATA_KEY_SIZE}`);
    return key;
  }
  return undefined;
}
