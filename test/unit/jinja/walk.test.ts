// Walking the template tree: visiting, the node path at a cursor, and the locals visible there.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node } from '../../../server/src/services/jinja/ast';
import { nodeAtOffset, scopesAt, walkNodes } from '../../../server/src/services/jinja/walk';
import { parse, show, slice } from './parserSupport';

/** Parses text with one `¦` cursor marker; returns the text without it and the cursor offset. */
function atCursor(marked: string): { text: string; offset: number } {
  const offset = marked.indexOf('¦');
  assert.notEqual(offset, -1, 'no cursor marker');
  return { text: marked.slice(0, offset) + marked.slice(offset + 1), offset };
}

function pathAt(marked: string): string[] {
  const { text, offset } = atCursor(marked);
  return nodeAtOffset(parse(text).body, offset).map((node: Node) => `${node.kind}:${slice(text, node.span)}`);
}

function localsAt(marked: string): string[] {
  const { text, offset } = atCursor(marked);
  return scopesAt(parse(text).body, offset).map((local) => `${local.name}:${local.kind}@${slice(text, local.span)}`);
}

describe('jinja tree walking', () => {
  it('visits every node depth-first in source order, and can skip children', () => {
    const text = '#% for n in nodes if n.on %##{ n.name | upper }##% endfor %#';
    const visited: string[] = [];
    walkNodes(parse(text).body, (node, parents) => {
      visited.push(`${parents.length}:${show(node, text)}`);
    });
    assert.deepEqual(visited, [
      '0:(for n nodes if (. n on) (out (|upper (. n name))))',
      '1:n',
      '1:nodes',
      '1:(. n on)',
      '2:n',
      '1:(out (|upper (. n name)))',
      '2:(|upper (. n name))',
      '3:(. n name)',
      '4:n',
    ]);
    const statementsOnly: string[] = [];
    walkNodes(parse(text).body, (node) => {
      statementsOnly.push(node.kind);
      return node.kind === 'For';
    });
    assert.deepEqual(statementsOnly, ['For', 'Name', 'Name', 'Getattr', 'Output']);
  });

  it('finds the innermost node path at a cursor', () => {
    assert.deepEqual(pathAt('a: #{ node.na¦me }#'), ['Output:#{ node.name }#', 'Getattr:node.name']);
    assert.deepEqual(pathAt('a: #{ no¦de.name }#'), ['Output:#{ node.name }#', 'Getattr:node.name', 'Name:node']);
    // The end of a name counts as on it.
    assert.deepEqual(pathAt('#{ nod¦ }#'), ['Output:#{ nod }#', 'Name:nod']);
    assert.deepEqual(pathAt('#{ x | default(1, tr¦ue) }#'), ['Output:#{ x | default(1, true) }#', 'Filter:x | default(1, true)', 'Const:true']);
    assert.deepEqual(pathAt('#% if a %#\n#{ b¦ }#\n#% endif %#'), ['If:#% if a %#\n#{ b }#\n#% endif %#', 'Output:#{ b }#', 'Name:b']);
    // Between tags the text node is found; right after a tag, the text that follows.
    assert.deepEqual(pathAt('#{ a }#¦ tail'), ['Text: tail']);
    // While typing, the partial tree is there: the empty attribute after the dot.
    assert.deepEqual(pathAt('#{ node.¦ }#'), ['Output:#{ node. }#', 'Getattr:node.']);
    assert.deepEqual(pathAt('¦'), []);
  });

  it('gives loop targets and loop inside a for body only', () => {
    assert.deepEqual(localsAt('#% for k, v in d.items() %##{ ¦ }##% endfor %#'), ['k:loop-target@k', 'v:loop-target@v', 'loop:loop@#% for k, v in d.items() %#']);
    assert.deepEqual(localsAt('#% for k in d %##% endfor %##{ ¦ }#'), []);
    assert.deepEqual(localsAt('#% for k in ¦d %##% endfor %#'), []);
    // The loop's `if` filter sees the target but not `loop`.
    assert.deepEqual(localsAt('#% for n in nodes if n.¦on %##% endfor %#'), ['n:loop-target@n']);
    // The else body runs when there was no item.
    assert.deepEqual(localsAt('#% for n in nodes %##% else %##{ ¦ }##% endfor %#'), []);
    // An inner loop's `loop` replaces the outer one.
    assert.deepEqual(localsAt('#% for a in b %##% for c in d %#¦#% endfor %##% endfor %#'), ['a:loop-target@a', 'c:loop-target@c', 'loop:loop@#% for c in d %#']);
  });

  it('gives set names after the set, not in its own value, and keeps loop-body sets inside the loop', () => {
    assert.deepEqual(localsAt('#% set x = 1 %#¦'), ['x:set@x']);
    assert.deepEqual(localsAt('#% set x = ¦ %#'), []);
    assert.deepEqual(localsAt('¦#% set x = 1 %#'), []);
    assert.deepEqual(localsAt('#% set a, b = 1, 2 %##% set c %#x#% endset %#¦'), ['a:set@a', 'b:set@b', 'c:set@c']);
    // `if` opens no scope: a set inside is visible after it.
    assert.deepEqual(localsAt('#% if c %##% set x = 1 %##% else %##% set y = 2 %##% endif %#¦'), ['x:set@x', 'y:set@y']);
    // A for body is its own scope.
    assert.deepEqual(localsAt('#% for i in l %##% set x = 1 %#¦#% endfor %#'), ['i:loop-target@i', 'loop:loop@#% for i in l %#', 'x:set@x']);
    assert.deepEqual(localsAt('#% for i in l %##% set x = 1 %##% endfor %#¦'), []);
  });

  it('gives macro parameters inside the macro, and the macro name after it', () => {
    assert.deepEqual(localsAt('#% macro row(item, width=2) %#¦#% endmacro %#'), [
      'row:macro@row',
      'varargs:macro-implicit@#% macro row(item, width=2) %#',
      'kwargs:macro-implicit@#% macro row(item, width=2) %#',
      'caller:macro-implicit@#% macro row(item, width=2) %#',
      'item:macro-param@item',
      'width:macro-param@width',
    ]);
    assert.deepEqual(localsAt('#% macro row(item) %##% endmacro %#¦'), ['row:macro@row']);
    assert.deepEqual(localsAt('#% call(user) list(users) %#¦#% endcall %#'), ['user:call-param@user']);
  });

  it('gives with-assignments inside the with body and imports after the import', () => {
    assert.deepEqual(localsAt('#% with a = 1, b = 2 %#¦#% endwith %#'), ['a:with@a', 'b:with@b']);
    assert.deepEqual(localsAt('#% with a = 1 %##% endwith %#¦'), []);
    assert.deepEqual(localsAt("#% import 'm.j2' as m %##% from 'f.j2' import x, y as z %#¦"), ['m:import@m', 'x:from-import@x', 'z:from-import@z']);
  });

  it('knows the attributes of namespace objects, from the call and from later sets', () => {
    const { text, offset } = atCursor('#% set ns = namespace(found=false) %##% for n in l %##% set ns.found = true %##% set ns.count = 1 %##% endfor %##{ ns.¦ }#');
    const locals = scopesAt(parse(text).body, offset);
    assert.deepEqual(
      locals.map((local) => [local.name, local.kind, local.namespaceAttributes?.map((attribute) => `${attribute.name}@${slice(text, attribute.span)}`)]),
      [['ns', 'set', ['found@found', 'count@count']]],
    );
    assert.equal(text.slice(0, locals[0].namespaceAttributes?.[1].span.start).endsWith('#% set ns.'), true);
  });

  it('works on partial trees: an unclosed loop still gives its target', () => {
    assert.deepEqual(localsAt('#% for n in nodes %#\n  - #{ n.¦'), ['n:loop-target@n', 'loop:loop@#% for n in nodes %#']);
  });
});
