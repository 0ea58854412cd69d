// Unit tests for the IPv4 helpers: strict parsing, CIDR arithmetic, containment and overlap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cidrContains,
  cidrSize,
  cidrsOverlap,
  firstHost,
  formatCidr,
  formatIPv4,
  isCanonicalCidr,
  lastAddress,
  networkAddress,
  nthHost,
  parseCidr,
  parseIPv4,
  prefixMask,
  type Ipv4Cidr,
} from '../../server/src/services/cluster/ipv4';

function cidr(text: string): Ipv4Cidr {
  const parsed = parseCidr(text);
  assert.ok(parsed, `test fixture ${text} must parse`);
  return parsed;
}

function ip(text: string): number {
  const parsed = parseIPv4(text);
  assert.ok(parsed !== undefined, `test fixture ${text} must parse`);
  return parsed;
}

test('parseIPv4 accepts dotted quads and returns the unsigned number', () => {
  const cases: [string, number][] = [
    ['0.0.0.0', 0],
    ['10.0.0.1', 167772161],
    ['192.168.1.10', 3232235786],
    ['255.255.255.255', 4294967295],
    ['1.2.3.4', 16909060],
    ['100.0.10.0', 1677724160],
  ];
  for (const [text, expected] of cases) assert.equal(parseIPv4(text), expected, text);
});

test('parseIPv4 refuses everything that is not a strict dotted quad', () => {
  const refused = [
    '',
    '10.0.0',
    '10.0.0.0.1',
    '10.0.0.256',
    '256.0.0.1',
    '10.0.0.01',
    '010.0.0.1',
    '10.00.0.1',
    '10.0.0.1 ',
    ' 10.0.0.1',
    '10.0.0.1/32',
    '10.0.0.-1',
    '+10.0.0.1',
    '10..0.1',
    '1e1.0.0.1',
    '0x0a.0.0.1',
    '١٠.0.0.1', // non-ASCII digits
    '10.0.0.1\n',
    '::1',
    '1000.0.0.1',
  ];
  for (const text of refused) assert.equal(parseIPv4(text), undefined, JSON.stringify(text));
});

test('formatIPv4 is the inverse of parseIPv4', () => {
  for (const text of ['0.0.0.0', '10.0.0.1', '192.168.1.10', '255.255.255.255', '172.16.254.3']) {
    assert.equal(formatIPv4(ip(text)), text);
  }
});

test('parseCidr gives address, network and prefix', () => {
  const cases: [string, Ipv4Cidr][] = [
    ['10.0.0.0/24', { address: ip('10.0.0.0'), network: ip('10.0.0.0'), prefix: 24 }],
    ['10.10.10.5/24', { address: ip('10.10.10.5'), network: ip('10.10.10.0'), prefix: 24 }],
    ['0.0.0.0/0', { address: 0, network: 0, prefix: 0 }],
    ['1.2.3.4/0', { address: ip('1.2.3.4'), network: 0, prefix: 0 }],
    ['192.168.1.7/32', { address: ip('192.168.1.7'), network: ip('192.168.1.7'), prefix: 32 }],
    ['255.255.255.255/1', { address: 4294967295, network: ip('128.0.0.0'), prefix: 1 }],
    ['10.43.0.0/16', { address: ip('10.43.0.0'), network: ip('10.43.0.0'), prefix: 16 }],
  ];
  for (const [text, expected] of cases) assert.deepEqual(parseCidr(text), expected, text);
});

test('parseCidr refuses malformed CIDRs', () => {
  const refused = [
    '',
    '10.0.0.0',
    '10.0.0.0/',
    '10.0.0.0/33',
    '10.0.0.0/-1',
    '10.0.0.0/08',
    '10.0.0.0/00',
    '10.0.0.0/255.255.255.0',
    '10.0.0.0/24 ',
    '10.0.0.0//24',
    '10.0.0.0/24/24',
    '10.0.0.01/24',
    '10.0.0/24',
    'fd00::/64',
    '/24',
  ];
  for (const text of refused) assert.equal(parseCidr(text), undefined, JSON.stringify(text));
});

test('formatCidr writes the canonical form', () => {
  assert.equal(formatCidr(cidr('10.10.10.5/24')), '10.10.10.0/24');
  assert.equal(formatCidr(cidr('1.2.3.4/0')), '0.0.0.0/0');
  assert.equal(formatCidr(cidr('192.168.1.7/32')), '192.168.1.7/32');
});

test('prefixMask and networkAddress', () => {
  const masks: [number, string][] = [
    [0, '0.0.0.0'],
    [1, '128.0.0.0'],
    [8, '255.0.0.0'],
    [20, '255.255.240.0'],
    [24, '255.255.255.0'],
    [31, '255.255.255.254'],
    [32, '255.255.255.255'],
  ];
  for (const [prefix, mask] of masks) assert.equal(formatIPv4(prefixMask(prefix)), mask, `/${prefix}`);
  assert.equal(formatIPv4(networkAddress(ip('10.10.10.5'), 24)), '10.10.10.0');
  assert.equal(formatIPv4(networkAddress(ip('172.31.255.255'), 12)), '172.16.0.0');
  assert.equal(formatIPv4(networkAddress(ip('255.255.255.255'), 0)), '0.0.0.0');
  assert.equal(formatIPv4(networkAddress(ip('255.255.255.255'), 32)), '255.255.255.255');
});

test('isCanonicalCidr: no host bits set', () => {
  assert.equal(isCanonicalCidr(cidr('10.10.10.0/24')), true);
  assert.equal(isCanonicalCidr(cidr('10.10.10.5/24')), false);
  assert.equal(isCanonicalCidr(cidr('10.10.10.5/32')), true);
  assert.equal(isCanonicalCidr(cidr('0.0.0.0/0')), true);
  assert.equal(isCanonicalCidr(cidr('0.0.0.1/0')), false);
});

test('cidrSize counts addresses', () => {
  const cases: [number, number][] = [
    [32, 1],
    [31, 2],
    [28, 16],
    [24, 256],
    [16, 65536],
    [0, 4294967296],
  ];
  for (const [prefix, size] of cases) assert.equal(cidrSize(prefix), size, `/${prefix}`);
});

test('cidrContains: inside, outside, edges', () => {
  const cases: [string, string, boolean][] = [
    ['10.0.0.0/24', '10.0.0.0', true],
    ['10.0.0.0/24', '10.0.0.255', true],
    ['10.0.0.0/24', '10.0.1.0', false],
    ['10.0.0.0/24', '9.255.255.255', false],
    ['10.0.0.0/29', '10.0.0.7', true],
    ['10.0.0.0/29', '10.0.0.8', false],
    ['192.168.1.7/32', '192.168.1.7', true],
    ['192.168.1.7/32', '192.168.1.8', false],
    ['0.0.0.0/0', '255.255.255.255', true],
    ['128.0.0.0/1', '255.255.255.255', true],
    ['128.0.0.0/1', '127.255.255.255', false],
    // A CIDR with host bits set still means its network.
    ['10.0.0.5/24', '10.0.0.200', true],
  ];
  for (const [block, address, expected] of cases) assert.equal(cidrContains(cidr(block), ip(address)), expected, `${address} in ${block}`);
});

test('cidrsOverlap: equal, nested either way, adjacent, disjoint', () => {
  const cases: [string, string, boolean][] = [
    ['10.0.0.0/16', '10.0.0.0/16', true],
    ['10.0.0.0/8', '10.42.0.0/16', true],
    ['10.42.0.0/16', '10.0.0.0/8', true],
    ['10.42.0.0/16', '10.42.7.0/24', true],
    ['10.42.0.0/16', '10.43.0.0/16', false],
    ['10.0.0.0/24', '10.0.1.0/24', false],
    ['10.0.0.0/25', '10.0.0.128/25', false],
    ['10.0.0.7/32', '10.0.0.0/29', true],
    ['10.0.0.8/32', '10.0.0.0/29', false],
    ['0.0.0.0/0', '192.168.0.0/16', true],
    ['192.168.0.0/16', '172.16.0.0/12', false],
  ];
  for (const [a, b, expected] of cases) assert.equal(cidrsOverlap(cidr(a), cidr(b)), expected, `${a} vs ${b}`);
});

test('nthHost counts from the network address, or from the end when negative', () => {
  const cases: [string, number, string | undefined][] = [
    ['10.43.0.0/16', 10, '10.43.0.10'],
    ['10.43.0.0/16', 0, '10.43.0.0'],
    ['10.43.0.0/16', -1, '10.43.255.255'],
    ['10.43.0.0/16', 65535, '10.43.255.255'],
    ['10.43.0.0/16', 65536, undefined],
    ['10.43.0.0/16', -65536, '10.43.0.0'],
    ['10.43.0.0/16', -65537, undefined],
    ['10.43.0.0/28', 10, '10.43.0.10'],
    ['10.43.0.0/29', 10, undefined],
    ['10.0.0.5/24', 1, '10.0.0.1'],
    ['10.0.0.0/24', 1.5, undefined],
    ['255.255.255.0/24', 255, '255.255.255.255'],
  ];
  for (const [block, n, expected] of cases) {
    const host = nthHost(cidr(block), n);
    assert.equal(host === undefined ? undefined : formatIPv4(host), expected, `${block} #${n}`);
  }
});

test('firstHost is network + 1, and absent for a /32', () => {
  const cases: [string, string | undefined][] = [
    ['10.0.0.0/24', '10.0.0.1'],
    ['192.168.1.0/31', '192.168.1.1'],
    ['192.168.1.7/32', undefined],
    ['10.10.10.9/24', '10.10.10.1'],
  ];
  for (const [block, expected] of cases) {
    const host = firstHost(cidr(block));
    assert.equal(host === undefined ? undefined : formatIPv4(host), expected, block);
  }
});

test('lastAddress is the top of the block', () => {
  assert.equal(formatIPv4(lastAddress(cidr('10.0.0.0/24'))), '10.0.0.255');
  assert.equal(formatIPv4(lastAddress(cidr('0.0.0.0/0'))), '255.255.255.255');
  assert.equal(formatIPv4(lastAddress(cidr('10.0.0.9/32'))), '10.0.0.9');
});
