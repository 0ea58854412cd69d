// IPv4 addresses and CIDR blocks as unsigned 32-bit numbers: strict parsing, formatting, containment
// and overlap. Shared by the schema validator and the cross-field rules; knows nothing about config keys.

/** An IPv4 CIDR as written: `address` may have host bits set, `network` never does. */
export interface Ipv4Cidr {
  address: number;
  network: number;
  prefix: number;
}

// One octet: 0, or 1–255 without a leading zero (so "01" and "00" are refused, as PY's IPv4Address does).
const OCTET = '(0|[1-9][0-9]{0,2})';
const DOTTED_QUAD = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);
// A prefix length in plain decimal: "/8" yes, "/08" and "/255.255.255.0" no.
const PREFIX = /^(0|[1-9][0-9]?)$/;

/**
 * The address as a number, or undefined unless `text` is exactly a dotted quad of octets 0–255
 * without leading zeros or surrounding spaces. Example: parseIPv4('10.0.0.1') === 167772161;
 * parseIPv4('10.0.0.01') === undefined.
 */
export function parseIPv4(text: string): number | undefined {
  const match = DOTTED_QUAD.exec(text);
  if (!match) return undefined;
  let address = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(match[i]);
    if (octet > 255) return undefined;
    address = address * 256 + octet;
  }
  return address;
}

/** Dotted-quad text of an address. Example: formatIPv4(167772161) === '10.0.0.1'. */
export function formatIPv4(address: number): string {
  return [address >>> 24, (address >>> 16) & 255, (address >>> 8) & 255, address & 255].join('.');
}

/**
 * An IPv4 CIDR `a.b.c.d/n` with an explicit prefix 0–32, or undefined. Host bits are allowed here
 * (whether they are is the canonical-form rule's question). Example: parseCidr('10.0.0.5/24') gives
 * address 10.0.0.5, network 10.0.0.0, prefix 24.
 */
export function parseCidr(text: string): Ipv4Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseIPv4(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (address === undefined || !PREFIX.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > 32) return undefined;
  return { address, network: networkAddress(address, prefix), prefix };
}

/** `network/prefix` text, always in canonical form. Example: formatCidr(parseCidr('10.0.0.5/24')!) === '10.0.0.0/24'. */
export function formatCidr(cidr: Ipv4Cidr): string {
  return `${formatIPv4(cidr.network)}/${cidr.prefix}`;
}

/** The netmask of a prefix length as a number. Example: prefixMask(24) is 255.255.255.0. */
export function prefixMask(prefix: number): number {
  // A shift by 32 is a shift by 0 in JavaScript, so /0 needs its own case.
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** The address with its host bits cleared. Example: networkAddress(10.0.0.5, 24) is 10.0.0.0. */
export function networkAddress(address: number, prefix: number): number {
  return (address & prefixMask(prefix)) >>> 0;
}

/** True when the CIDR is written as its network address (no host bits set). */
export function isCanonicalCidr(cidr: Ipv4Cidr): boolean {
  return cidr.address === cidr.network;
}

/** How many addresses a block of this prefix length holds. Example: cidrSize(24) === 256, cidrSize(0) === 2 ** 32. */
export function cidrSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

/** True when `address` lies inside the block. Example: 10.0.0.7 is inside 10.0.0.0/29, 10.0.0.8 is not. */
export function cidrContains(cidr: Ipv4Cidr, address: number): boolean {
  return networkAddress(address, cidr.prefix) === cidr.network;
}

/**
 * True when the two blocks share an address. CIDR blocks are either nested or disjoint, so this
 * also holds when one lies inside the other. Example: 10.0.0.0/8 overlaps 10.42.0.0/16.
 */
export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  const prefix = Math.min(a.prefix, b.prefix);
  return networkAddress(a.network, prefix) === networkAddress(b.network, prefix);
}

/**
 * The n-th address of the block counted from its network address (0 is the network address
 * itself), or from its end when n is negative (-1 is the last address), like the nthhost filter
 * the templates use; undefined when the block has no such address.
 * Example: nthHost(parseCidr('10.43.0.0/16')!, 10) is 10.43.0.10.
 */
export function nthHost(cidr: Ipv4Cidr, n: number): number | undefined {
  const size = cidrSize(cidr.prefix);
  if (!Number.isInteger(n) || n >= size || n < -size) return undefined;
  return cidr.network + (n >= 0 ? n : size + n);
}

/**
 * The first address after the network address, which the template takes as the default gateway;
 * undefined for a /32, which has no second address. Example: firstHost(parseCidr('10.0.0.0/24')!) is 10.0.0.1.
 */
export function firstHost(cidr: Ipv4Cidr): number | undefined {
  return nthHost(cidr, 1);
}

/** The last address of the block (the broadcast address for prefixes up to /30). */
export function lastAddress(cidr: Ipv4Cidr): number {
  return cidr.network + cidrSize(cidr.prefix) - 1;
}
