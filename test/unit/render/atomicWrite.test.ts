// Atomic writes: the new content or the old one, never half; no temporary left behind on failure;
// modes as asked (or kept); and applying a render plan (folders, files, empty folders removed).
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { blockingAtomicWriteOps, createFileExclusive, nodeAtomicWriteOps, nodeOutputWriter, writeFileAtomic, writeRenderPlan, type AtomicWriteOps } from '../../../server/src/host/atomicWrite';

function modeOf(filePath: string): number {
  return statSync(filePath).mode & 0o7777;
}

describe('writeFileAtomic', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ctt-atomic-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a file, replaces one, applies a mode, and keeps an existing file mode when none is given', async () => {
    const target = join(dir, 'out.yaml');
    await writeFileAtomic(target, 'one\n', { mode: 0o640 });
    assert.equal(readFileSync(target, 'utf8'), 'one\n');
    assert.equal(modeOf(target), 0o640);
    chmodSync(target, 0o600);
    await writeFileAtomic(target, new Uint8Array([0, 1, 2]));
    assert.deepEqual([...readFileSync(target)], [0, 1, 2]);
    assert.equal(modeOf(target), 0o600);
    assert.deepEqual(readdirSync(dir), ['out.yaml']);
  });

  for (const failing of ['sync', 'rename', 'chmod'] as const) {
    it(`leaves the original intact and no temporary file when ${failing} fails`, async () => {
      const target = join(dir, `keep-${failing}.yaml`);
      writeFileSync(target, 'original\n');
      const ops: AtomicWriteOps = {
        ...nodeAtomicWriteOps,
        open: async (filePath, flags, mode) => {
          const handle = await nodeAtomicWriteOps.open(filePath, flags, mode);
          if (failing === 'sync') handle.sync = async () => Promise.reject(Object.assign(new Error('disk full'), { code: 'ENOSPC' }));
          return handle;
        },
        rename: failing === 'rename' ? async () => Promise.reject(new Error('rename refused')) : nodeAtomicWriteOps.rename,
        chmod: failing === 'chmod' ? async () => Promise.reject(new Error('chmod refused')) : nodeAtomicWriteOps.chmod,
      };
      await assert.rejects(writeFileAtomic(target, 'new content that must not appear\n', { mode: 0o644, ops }));
      assert.equal(readFileSync(target, 'utf8'), 'original\n');
      assert.deepEqual(
        readdirSync(dir).filter((name) => name.includes(`keep-${failing}`)),
        [`keep-${failing}.yaml`],
      );
    });
  }

  it('fails without touching anything when the folder does not exist', async () => {
    await assert.rejects(writeFileAtomic(join(dir, 'missing', 'x.yaml'), 'x'), /ENOENT/);
    assert.equal(existsSync(join(dir, 'missing')), false);
  });
});

describe('writeRenderPlan', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ctt-plan-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates folders, writes the files, removes folders left empty and sets folder modes last', async () => {
    mkdirSync(join(dir, 'emptied'));
    mkdirSync(join(dir, 'not-empty-any-more'));
    writeFileSync(join(dir, 'not-empty-any-more', 'someone.txt'), 'x');
    const result = await writeRenderPlan({
      files: [
        { outputPath: join(dir, 'apps', 'a.yaml'), content: 'a\n' },
        { outputPath: join(dir, 'bin', 'run.sh'), content: '#!/bin/sh\n', mode: 0o755 },
      ],
      directories: [{ outputPath: join(dir, 'apps') }, { outputPath: join(dir, 'bin'), mode: 0o750 }, { outputPath: join(dir, 'kept-empty') }],
      directoriesToRemove: [join(dir, 'emptied'), join(dir, 'not-empty-any-more')],
      errors: [],
    });
    assert.deepEqual(result.failures, []);
    assert.equal(readFileSync(join(dir, 'apps', 'a.yaml'), 'utf8'), 'a\n');
    assert.equal(modeOf(join(dir, 'bin', 'run.sh')), 0o755);
    assert.equal(modeOf(join(dir, 'bin')), 0o750);
    assert.equal(existsSync(join(dir, 'kept-empty')), true);
    assert.equal(existsSync(join(dir, 'emptied')), false);
    assert.equal(existsSync(join(dir, 'not-empty-any-more', 'someone.txt')), true);
    assert.deepEqual(result.removedDirectories, [join(dir, 'emptied')]);
  });

  it('writes nothing for a plan with errors', async () => {
    const target = join(dir, 'never.yaml');
    await assert.rejects(writeRenderPlan({ files: [{ outputPath: target, content: 'x' }], directories: [], directoriesToRemove: [], errors: [{ message: 'broken' }] }), /nothing was written/);
    assert.equal(existsSync(target), false);
  });

  it('writes only the files asked for', async () => {
    const result = await writeRenderPlan(
      { files: [{ outputPath: join(dir, 'one.txt'), content: '1' }, { outputPath: join(dir, 'two.txt'), content: '2' }], directories: [], directoriesToRemove: [], errors: [] },
      { onlyFiles: new Set([join(dir, 'two.txt')]) },
    );
    assert.deepEqual(result.written, [join(dir, 'two.txt')]);
    assert.equal(existsSync(join(dir, 'one.txt')), false);
  });

  it('the server writer removes a folder only while it is empty', async () => {
    mkdirSync(join(dir, 'full'));
    writeFileSync(join(dir, 'full', 'f'), '');
    await nodeOutputWriter.removeEmptyDirectory(join(dir, 'full'));
    await nodeOutputWriter.removeEmptyDirectory(join(dir, 'gone-already'));
    assert.equal(existsSync(join(dir, 'full', 'f')), true);
    await nodeOutputWriter.writeFile(join(dir, 'deep', 'er', 'x.txt'), 'x', 0o600);
    assert.equal(modeOf(join(dir, 'deep', 'er', 'x.txt')), 0o600);
  });

  it('creates a file exclusively with its mode from the start, and never replaces an existing one', async () => {
    const target = join(dir, 'new.key');
    await createFileExclusive(target, 'first', 0o600);
    assert.equal(readFileSync(target, 'utf8'), 'first');
    assert.equal(modeOf(target), 0o600);
    await assert.rejects(createFileExclusive(target, 'second', 0o600), /EEXIST/);
    assert.equal(readFileSync(target, 'utf8'), 'first');
    assert.deepEqual(readdirSync(dir).filter((name) => name.includes('new.key') && name !== 'new.key'), [], 'no temporary file left behind');
  });

  it('writes a plan with the blocking calls the command-line tool uses', async () => {
    const result = await writeRenderPlan(
      { files: [{ outputPath: join(dir, 'blocking', 'a.txt'), content: 'a', mode: 0o640 }], directories: [], directoriesToRemove: [], errors: [] },
      { ops: blockingAtomicWriteOps },
    );
    assert.deepEqual(result.failures, []);
    assert.equal(readFileSync(join(dir, 'blocking', 'a.txt'), 'utf8'), 'a');
    assert.equal(modeOf(join(dir, 'blocking', 'a.txt')), 0o640);
  });
});
