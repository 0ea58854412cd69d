// The keys plugin.py names literally on the template data: reads count as uses of a cluster.yaml
// key, writes only take part in rename. Every access form, aliases, and what must not count.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readPluginDataKeys } from '../../../server/src/services/jinja/pluginDataReads';

/** Each key as `name:access:read|write`, checking that its span is exactly the name. */
function keysOf(text: string): string[] {
  return readPluginDataKeys(text).map((key) => {
    assert.equal(text.slice(key.span.start, key.span.end), key.name);
    return `${key.name}:${key.access}:${key.isRead ? 'read' : 'write'}`;
  });
}

describe('plugin.py data keys', () => {
  it('reads subscripts, get, pop and membership tests, and tells writes apart', () => {
    const text = [
      'class Plugin:',
      '    def data(self):',
      '        data = self._data',
      '        if "a" in data and "b" not in data:',
      '            data["c"] = data["d"] + data.get("e", 1)',
      '        data["f"] += 1',
      "        data.pop('g', None)",
      '        data.setdefault("h", data.get("i"))',
      '        if data["j"] == 2: pass',
      '        return data',
    ].join('\n');
    assert.deepEqual(keysOf(text), [
      'a:in:read',
      'b:in:read',
      'c:assign:write',
      'd:subscript:read',
      'e:get:read',
      'f:subscript:read',
      'g:pop:read',
      'h:setdefault:write',
      'i:get:read',
      'j:subscript:read',
    ]);
  });

  it('follows the names the data is kept under: self._data, then a local alias of it', () => {
    const text = [
      'class Plugin:',
      '    def __init__(self, data):',
      '        self._data = data',
      '    def data(self):',
      '        d = self._data',
      '        x = d.get("via_alias")',
      '        y = self._data["via_attribute"]',
      '        return d',
    ].join('\n');
    assert.deepEqual(keysOf(text), ['via_alias:get:read', 'via_attribute:subscript:read']);
  });

  it('reads the keys a loop passes to get() when they are written out', () => {
    const text = [
      'keys = ("bgp_a", "bgp_b")',
      'enabled = all(data.get(key) for key in keys)',
      'for name in ["x_one", "x_two"]:',
      '    print(data[name])',
    ].join('\n');
    assert.deepEqual(keysOf(text), ['bgp_a:get:read', 'bgp_b:get:read', 'x_one:subscript:read', 'x_two:subscript:read']);
  });

  it('ignores other dictionaries, comments, f-strings, computed keys and method names', () => {
    const text = [
      'tunnel = json.loads(raw)',
      'token = tunnel["TunnelID"]',
      '# data["commented"]',
      'doc = "data[\\"in_a_string\\"]"',
      'x = data[f"{prefix}_name"]',
      'y = data[prefix + "_suffix"]',
      'z = data.keys()',
      'w = other.data["attribute_of_other"]',
      'v = data.get(unknown_variable)',
    ].join('\n');
    assert.deepEqual(keysOf(text), []);
  });

  it('tolerates broken Python: an unterminated string and unclosed brackets', () => {
    assert.deepEqual(keysOf('x = data["ok"]\ny = data.get("open\nz = data["also_ok"]\nw = data.get(('), ['ok:subscript:read', 'also_ok:subscript:read']);
  });
});
