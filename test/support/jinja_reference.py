"""Renders template cases with the reference Jinja2 for the renderer's differential unit tests.

stdin: JSON {"cases": [{"template": str, "data": {...}, "templates": {name: str}, "options": {...}}]}
stdout: JSON [{"output": str} | {"error": {"type": str, "message": str, "line": int|null}}]
Values tagged {"$float": x} and {"$tuple": [...]} become float and tuple, so both sides see the same types.
"""
import json
import sys
import traceback

import jinja2

UNDEFINED = {
    "default": jinja2.Undefined,
    "chainable": jinja2.ChainableUndefined,
    "debug": jinja2.DebugUndefined,
    "strict": jinja2.StrictUndefined,
}

MAKEJINJA_DELIMITERS = dict(
    block_start_string="#%", block_end_string="%#",
    variable_start_string="#{", variable_end_string="}#",
    comment_start_string="#|", comment_end_string="#|",
)


def decode(value):
    if isinstance(value, dict):
        if "$float" in value:
            return float(value["$float"])
        if "$tuple" in value:
            return tuple(decode(v) for v in value["$tuple"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def render(case):
    options = case.get("options", {})
    delimiters = MAKEJINJA_DELIMITERS if options.get("syntax", "makejinja") == "makejinja" else {}
    templates = dict(case.get("templates", {}))
    templates["__case__"] = case["template"]
    env = jinja2.Environment(
        loader=jinja2.DictLoader(templates),
        undefined=UNDEFINED[options.get("undefined", "chainable")],
        trim_blocks=options.get("trim_blocks", True),
        lstrip_blocks=options.get("lstrip_blocks", True),
        keep_trailing_newline=options.get("keep_trailing_newline", True),
        newline_sequence=options.get("newline_sequence", "\n"),
        extensions=options.get("extensions", []),
        **delimiters,
    )
    try:
        return {"output": env.get_template("__case__").render(decode(case.get("data", {})))}
    except Exception as error:  # every failure is an expected outcome to compare
        return {"error": {"type": type(error).__name__, "message": str(error), "line": error_line(error)}}


def error_line(error):
    """The template line: a syntax error carries it; Jinja2 rewrites runtime tracebacks to show it."""
    if getattr(error, "lineno", None) is not None:
        return error.lineno
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == "<template>" or frame.name in ("top-level template code", "template"):
            line = frame.lineno
    return line


def main():
    request = json.load(sys.stdin)
    json.dump([render(case) for case in request["cases"]], sys.stdout)


main()
