// The render record: statuses of output files from the plan, the disk and the last render's
// hashes, reading a damaged or foreign record, and the record after a plan is applied.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  computeOutputStatuses,
  contentHash,
  emptyRecord,
  parseRenderRecord,
  pathsToHash,
  recordAfterApply,
  serializeRenderRecord,
  type PlannedOutput,
  type RenderRecord,
} from '../../../server/src/engines/render/renderRecord';

const root = '/ws';
const h = (text: string): string => contentHash(text);

function record(files: Record<string, string>): RenderRecord {
  return { root, files: Object.fromEntries(Object.entries(files).map(([path, text]) => [path, h(text)])) };
}

function disk(files: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(files).map(([path, text]) => [path, h(text)]));
}

function planned(files: Record<string, string>): PlannedOutput[] {
  return Object.entries(files).map(([relativePath, text]) => ({ relativePath, contentHash: h(text) }));
}

describe('render record', () => {
  it('hashes strings as their UTF-8 bytes, like the bytes written', () => {
    assert.equal(contentHash('é\n'), createHash('sha256').update(Buffer.from([0xc3, 0xa9, 0x0a])).digest('hex'));
    assert.equal(contentHash(new Uint8Array([0xc3, 0xa9, 0x0a])), contentHash('é\n'));
  });

  it('gives each file its status and flags hand edits only where writing would lose them', () => {
    const cases: { name: string; plan: Record<string, string>; onDisk: Record<string, string>; last: Record<string, string>; expected: [string, string, boolean][] }[] = [
      { name: 'not on disk', plan: { 'a.yaml': 'A' }, onDisk: {}, last: {}, expected: [['a.yaml', 'created', false]] },
      { name: 'deleted by the user since we wrote it', plan: { 'a.yaml': 'A' }, onDisk: {}, last: { 'a.yaml': 'A' }, expected: [['a.yaml', 'created', false]] },
      { name: 'as rendered', plan: { 'a.yaml': 'A' }, onDisk: { 'a.yaml': 'A' }, last: { 'a.yaml': 'A' }, expected: [['a.yaml', 'unchanged', false]] },
      { name: 'template changed, file as we wrote it', plan: { 'a.yaml': 'A2' }, onDisk: { 'a.yaml': 'A' }, last: { 'a.yaml': 'A' }, expected: [['a.yaml', 'changed', false]] },
      { name: 'edited by hand since we wrote it', plan: { 'a.yaml': 'A' }, onDisk: { 'a.yaml': 'A edited' }, last: { 'a.yaml': 'A' }, expected: [['a.yaml', 'changed', true]] },
      { name: 'edited by hand back to what renders', plan: { 'a.yaml': 'A2' }, onDisk: { 'a.yaml': 'A2' }, last: { 'a.yaml': 'A' }, expected: [['a.yaml', 'unchanged', false]] },
      { name: 'on disk, never written by us (makejinja wrote it)', plan: { 'a.yaml': 'A' }, onDisk: { 'a.yaml': 'old' }, last: {}, expected: [['a.yaml', 'changed', false]] },
      { name: 'no longer produced, as we wrote it', plan: {}, onDisk: { 'gone.yaml': 'G' }, last: { 'gone.yaml': 'G' }, expected: [['gone.yaml', 'removed', false]] },
      { name: 'no longer produced, edited since', plan: {}, onDisk: { 'gone.yaml': 'G edited' }, last: { 'gone.yaml': 'G' }, expected: [['gone.yaml', 'removed', true]] },
      { name: 'no longer produced and already deleted', plan: {}, onDisk: {}, last: { 'gone.yaml': 'G' }, expected: [] },
      { name: 'not ours and not produced', plan: {}, onDisk: { 'mine.yaml': 'M' }, last: {}, expected: [] },
    ];
    for (const c of cases) {
      const statuses = computeOutputStatuses(planned(c.plan), disk(c.onDisk), record(c.last));
      assert.deepEqual(statuses.map((s) => [s.relativePath, s.status, s.isHandEdited]), c.expected, c.name);
    }
  });

  it('keeps the hashes it compared, for the check that the disk did not move before writing', () => {
    const [status] = computeOutputStatuses(planned({ 'a.yaml': 'A' }), disk({ 'a.yaml': 'B' }), emptyRecord(root));
    assert.equal(status.contentHash, h('A'));
    assert.equal(status.diskHash, h('B'));
  });

  it('asks for the hashes of planned and recorded paths, once each', () => {
    assert.deepEqual(pathsToHash(planned({ 'a.yaml': 'A', 'b.yaml': 'B' }), record({ 'b.yaml': 'B', 'c.yaml': 'C' })).sort(), ['a.yaml', 'b.yaml', 'c.yaml']);
  });

  it('reads back what it writes and ignores a damaged, old or foreign record', () => {
    const written = record({ 'b.yaml': 'B', 'a.yaml': 'A' });
    const text = serializeRenderRecord(written);
    assert.deepEqual(parseRenderRecord(text, root), written);
    assert.ok(text.indexOf('a.yaml') < text.indexOf('b.yaml'), 'entries are sorted so the file diffs well');
    assert.deepEqual(parseRenderRecord(undefined, root), emptyRecord(root));
    assert.deepEqual(parseRenderRecord('{not json', root), emptyRecord(root));
    assert.deepEqual(parseRenderRecord(text, '/other'), emptyRecord('/other'));
    assert.deepEqual(parseRenderRecord(text.replace('"version": 1', '"version": 99'), root), emptyRecord(root));
    assert.deepEqual(parseRenderRecord(JSON.stringify({ version: 1, root, files: { 'a.yaml': 'not-a-hash', 'b.yaml': h('B') } }), root).files, { 'b.yaml': h('B') });
  });

  it('records what was written, keeps hand edits recorded as edits and lets go of removed files', () => {
    const last = record({ 'written.yaml': 'old', 'kept.yaml': 'K', 'same.yaml': 'S', 'gone.yaml': 'G', 'gone-edited.yaml': 'E', 'failed.yaml': 'F', 'vanished.yaml': 'V' });
    const statuses = computeOutputStatuses(
      planned({ 'written.yaml': 'new', 'kept.yaml': 'K2', 'same.yaml': 'S', 'created.yaml': 'C', 'failed.yaml': 'F2' }),
      disk({ 'written.yaml': 'old', 'kept.yaml': 'K by hand', 'same.yaml': 'S', 'gone.yaml': 'G', 'gone-edited.yaml': 'E by hand', 'failed.yaml': 'F' }),
      last,
    );
    const after = recordAfterApply(last, statuses, { written: new Set(['written.yaml', 'created.yaml']), removed: new Set(['gone.yaml']) });
    assert.deepEqual(after, {
      root,
      files: {
        'written.yaml': h('new'),
        // Kept with its edits: the old hash stays, so the next render still calls it hand-edited.
        'kept.yaml': h('K'),
        'same.yaml': h('S'),
        'created.yaml': h('C'),
        // Not written (an error): still what we wrote last time.
        'failed.yaml': h('F'),
      },
    });
  });
});
