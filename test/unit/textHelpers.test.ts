// The small text helpers: did-you-mean distance and the line context used by completion.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closestName, editDistance, uniqueExtension } from '../../server/src/services/text/didYouMean';
import { commentedKeys, lineContextAt } from '../../server/src/services/yaml/lineContext';

describe('did you mean', () => {
  it('measures edits with transpositions', () => {
    assert.equal(editDistance('node_cidr', 'node_cidr'), 0);
    assert.equal(editDistance('node_cidrr', 'node_cidr'), 1);
    assert.equal(editDistance('ndoe_cidr', 'node_cidr'), 1);
    assert.equal(editDistance('abc', 'xyz', 1), 2);
  });
  it('picks the closest within two edits, else nothing', () => {
    assert.equal(closestName('cluster_api_adr', ['cluster_api_addr', 'cluster_gateway_addr']), 'cluster_api_addr');
    assert.equal(closestName('totally_else', ['node_cidr']), undefined);
    assert.equal(closestName('node_cidr', ['node_cidr']), undefined);
  });
});

describe('unique extension', () => {
  it('completes a partly typed name only when one candidate fits', () => {
    assert.equal(uniqueExtension('cloudflare_d', ['cloudflare_domain', 'cloudflare_token']), 'cloudflare_domain');
    assert.equal(uniqueExtension('cloudflare_', ['cloudflare_domain', 'cloudflare_token']), undefined);
    assert.equal(uniqueExtension('clo', ['cloudflare_domain']), undefined);
  });
});

describe('line context', () => {
  const at = (text: string) => lineContextAt(text.replace('¦', ''), text.indexOf('¦'));
  it('knows a top-level key position and its siblings', () => {
    const context = at('a: 1\nno¦\nb: 2\n');
    assert.equal(context.position, 'key');
    assert.equal(context.prefix, 'no');
    assert.deepEqual(context.parents, []);
    assert.deepEqual([...context.siblingKeys].sort(), ['a', 'b']);
  });
  it('knows a value position', () => {
    const context = at('mode: "ds¦');
    assert.equal(context.position, 'value');
    assert.equal(context.key, 'mode');
    assert.equal(context.prefix, 'ds');
  });
  it('knows the parents inside a list item mapping', () => {
    const context = at('nodes:\n  - name: a\n    ad¦\n  - name: b\n    disk: x\n');
    assert.deepEqual(context.parents, ['nodes', '-']);
    assert.deepEqual([...context.siblingKeys], ['name']);
  });
  it('finds commented keys at an indentation', () => {
    assert.deepEqual(commentedKeys('# a: 1\n  # b: 2\n#not a key\n', 0).map((c) => [c.key, c.line, c.valueText]), [['a', 0, '1']]);
  });
});
