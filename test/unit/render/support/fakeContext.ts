// A RuntimeContext for unit tests of filters and tests: Jinja's getattr/getitem (methods.ts),
// filter and test calls through the builtin maps. No templates involved.
import { BUILTIN_FILTERS } from '../../../../server/src/engines/render/filters';
import { jinjaGetattr, jinjaGetitem } from '../../../../server/src/engines/render/methods';
import {
  PyError,
  PyFunction,
  Undefined,
  stringRepr,
  typeName,
  type PyKwargs,
  type PyValue,
  type RuntimeContext,
  type UndefinedMode,
} from '../../../../server/src/engines/render/pyValues';
import { BUILTIN_TESTS } from '../../../../server/src/engines/render/tests';

export interface FakeContextOptions {
  undefinedMode?: UndefinedMode;
  autoescape?: boolean;
}

export class FakeContext implements RuntimeContext {
  readonly undefinedMode: UndefinedMode;
  readonly autoescape: boolean;
  readonly globals = new Map<string, PyValue>();

  constructor(options: FakeContextOptions = {}) {
    this.undefinedMode = options.undefinedMode ?? 'chainable';
    this.autoescape = options.autoescape ?? false;
  }

  makeUndefined(hint: string, name?: string): Undefined {
    return new Undefined(this.undefinedMode, hint, name);
  }

  getitem(obj: PyValue, key: PyValue): PyValue {
    return jinjaGetitem(this, obj, key);
  }

  getattr(obj: PyValue, name: string): PyValue {
    return jinjaGetattr(this, obj, name);
  }

  callFilter(name: string, value: PyValue, args: PyValue[], kwargs: PyKwargs = new Map()): PyValue {
    const filter = BUILTIN_FILTERS.get(name);
    if (!filter) throw new PyError('TemplateRuntimeError', `No filter named ${stringRepr(name)}.`);
    return filter(this, value, args, kwargs);
  }

  callTest(name: string, value: PyValue, args: PyValue[], kwargs: PyKwargs = new Map()): boolean {
    const test = BUILTIN_TESTS.get(name);
    if (!test) throw new PyError('TemplateRuntimeError', `No test named ${stringRepr(name)}.`);
    return test(this, value, args, kwargs);
  }

  call(callee: PyValue, args: PyValue[], kwargs: PyKwargs = new Map()): PyValue {
    if (callee instanceof PyFunction) return callee.impl(this, args, kwargs);
    throw new PyError('TypeError', `'${typeName(callee)}' object is not callable`);
  }
}
