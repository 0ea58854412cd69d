# Reference evaluator for the render operator/method/global differential tests: reads a JSON list
# of cases on stdin, evaluates each in real Python 3 + Jinja2 and writes one JSON outcome per case.
# Values are tagged so floats, tuples, dicts with non-str keys, Markup and Undefined survive JSON:
#   {"$float": 1.5 | "inf" | "-inf" | "nan"}, {"$tuple": [...]}, {"$dict": [[k, v], ...]},
#   {"$markup": "text"}, {"$undefined": "name"}, {"$slice": [start, stop, step]}.
import json
import operator
import sys

import jinja2
from markupsafe import Markup

UNDEFINED = {
    "default": jinja2.Undefined,
    "chainable": jinja2.ChainableUndefined,
    "debug": jinja2.DebugUndefined,
    "strict": jinja2.StrictUndefined,
}

ENVIRONMENTS = {mode: jinja2.Environment(undefined=cls) for mode, cls in UNDEFINED.items()}

BINARY = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": operator.mod,
    "**": operator.pow,
    "__getitem__": operator.getitem,
}


def decode(value, env):
    if isinstance(value, list):
        return [decode(item, env) for item in value]
    if isinstance(value, dict):
        if "$float" in value:
            return float(value["$float"])
        if "$tuple" in value:
            return tuple(decode(item, env) for item in value["$tuple"])
        if "$dict" in value:
            return {decode(k, env): decode(v, env) for k, v in value["$dict"]}
        if "$markup" in value:
            return Markup(value["$markup"])
        if "$undefined" in value:
            return env.undefined(name=value["$undefined"])
        if "$slice" in value:
            return slice(*(decode(item, env) for item in value["$slice"]))
        raise ValueError(f"unknown tagged value {value!r}")
    return value


def outcome(action):
    """What a TS test compares: str() of the result and its type, or the exception."""
    try:
        result = action()
    except Exception as error:  # every Python exception is a comparable outcome here
        return {"error": [type(error).__name__, str(error)]}
    return describe(result)


def describe(result):
    described = {"type": type(result).__name__}
    if isinstance(result, jinja2.Undefined):
        described["hint"] = result._undefined_message
    try:
        described["str"] = str(result)
    except Exception as error:
        described["str"] = f"<str failed: {type(error).__name__}: {error}>"
    return described


def run_case(case):
    env = ENVIRONMENTS[case.get("mode", "default")]
    d = lambda value: decode(value, env)  # noqa: E731
    kind = case["kind"]
    if kind == "binary":
        return outcome(lambda: BINARY[case["op"]](d(case["left"]), d(case["right"])))
    if kind == "unary":
        op = operator.neg if case["op"] == "-" else operator.pos
        return outcome(lambda: op(d(case["value"])))
    if kind == "percent":
        return outcome(lambda: d(case["format"]) % d(case["args"]))
    if kind == "format":
        kwargs = {k: d(v) for k, v in case["kwargs"].items()}
        return outcome(lambda: case["template"].format(*d(case["args"]), **kwargs))
    if kind == "formatValue":
        return outcome(lambda: format(d(case["value"]), case["spec"]))
    if kind == "contains":
        return outcome(lambda: d(case["item"]) in d(case["container"]))
    if kind == "getattr":
        return outcome(lambda: env.getattr(d(case["obj"]), case["name"]))
    if kind == "getitem":
        return outcome(lambda: env.getitem(d(case["obj"]), d(case["key"])))
    if kind == "method":
        obj = d(case["obj"])
        kwargs = {k: d(v) for k, v in case["kwargs"].items()}
        result = outcome(lambda: env.getattr(obj, case["name"])(*d(case["args"]), **kwargs))
        result["after"] = describe(obj)["str"]
        return result
    if kind == "script":
        return run_script(case["steps"], env)
    raise ValueError(f"unknown case kind {kind}")


def run_script(steps, env):
    """Steps on one object made from a global: ["new", global, args, kwargs], ["attr", name],
    ["call", name, args, kwargs] (a method), ["invoke", args, kwargs] (the object itself)."""
    d = lambda value: decode(value, env)  # noqa: E731
    holder = {}
    results = []
    for step in steps:
        if step[0] == "new":
            def make(step=step):
                holder["obj"] = env.globals[step[1]](*d(step[2]), **{k: d(v) for k, v in step[3].items()})
                return holder["obj"]
            results.append(outcome(make))
        elif step[0] == "attr":
            results.append(outcome(lambda step=step: env.getattr(holder["obj"], step[1])))
        elif step[0] == "call":
            results.append(outcome(lambda step=step: env.getattr(holder["obj"], step[1])(*d(step[2]), **{k: d(v) for k, v in step[3].items()})))
        elif step[0] == "invoke":
            results.append(outcome(lambda step=step: holder["obj"](*d(step[1]), **{k: d(v) for k, v in step[2].items()})))
        else:
            raise ValueError(f"unknown step {step[0]}")
    return {"steps": results}


def main():
    cases = json.load(sys.stdin)
    json.dump([run_case(case) for case in cases], sys.stdout)


if __name__ == "__main__":
    main()
