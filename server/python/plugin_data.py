"""Runs a workspace's makejinja plugins for Cluster Template Tools and prints what their data() adds.

Input (stdin, JSON): {"plugins": ["plugin:Plugin"], "import_paths": [...], "data": {...},
"config": {...}}. Output (stdout, JSON): {"derived": {...}, "functions": [...], "filters": [...],
"tests": [...], "notes": [...], "stand_in": bool}. Values that JSON cannot tell apart travel as
{"$tuple": [...]}, {"$dict": [[key, value], ...]}, {"$date"|"$datetime"|"$time": "iso"} and
{"$repr": "str(value)", "$type": "name"}; floats keep their decimal point (1.0).

It follows makejinja 2.8.2's load_plugin (src/makejinja/app.py): the class is found with
jinja2.utils.import_string's rules and built with the env / environment / data / config
arguments its signature asks for. When the real makejinja package cannot be imported, a small
stand-in module with the same names is installed so `import makejinja` in plugin.py works.
Run with the workspace as the working directory (plugin functions open files relative to it).
"""

import datetime
import inspect
import json
import sys
import types
from pathlib import Path

SPECIAL_KEYS = {"$tuple", "$dict", "$date", "$datetime", "$time", "$repr"}


def decode(value):
    if isinstance(value, list):
        return [decode(item) for item in value]
    if isinstance(value, dict):
        if len(value) == 1:
            (key, inner), = value.items()
            if key == "$tuple":
                return tuple(decode(item) for item in inner)
            if key == "$dict":
                return {decode_key(k): decode(v) for k, v in inner}
            if key == "$date":
                return datetime.date.fromisoformat(inner)
            if key == "$datetime":
                return datetime.datetime.fromisoformat(inner)
            if key == "$time":
                return datetime.time.fromisoformat(inner)
        return {k: decode(v) for k, v in value.items()}
    return value


def decode_key(key):
    return tuple(decode(item) for item in key) if isinstance(key, list) else key


def encode(value, depth=0):
    if depth > 200:
        raise ValueError("the data nests too deeply (a structure that contains itself?)")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tuple):
        return {"$tuple": [encode(item, depth + 1) for item in value]}
    if isinstance(value, list):
        return [encode(item, depth + 1) for item in value]
    if isinstance(value, dict):
        if all(isinstance(key, str) for key in value) and not (len(value) == 1 and next(iter(value)) in SPECIAL_KEYS):
            return {key: encode(item, depth + 1) for key, item in value.items()}
        return {"$dict": [[encode(key, depth + 1), encode(item, depth + 1)] for key, item in value.items()]}
    if isinstance(value, datetime.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"$date": value.isoformat()}
    if isinstance(value, datetime.time):
        return {"$time": value.isoformat()}
    return {"$repr": str(value), "$type": type(value).__name__}


def install_stand_in_makejinja():
    """A module tree with makejinja's public names, for plugins that subclass or annotate with them."""
    package = types.ModuleType("makejinja")
    plugin = types.ModuleType("makejinja.plugin")
    config = types.ModuleType("makejinja.config")

    class Plugin:
        def __init__(self, *args, **kwargs):
            pass

        def functions(self):
            return []

        def data(self):
            return {}

        def filters(self):
            return []

        def tests(self):
            return []

        def policies(self):
            return {}

        def extensions(self):
            return []

        def path_filters(self):
            return []

        def globals(self):
            return []

    class Config(types.SimpleNamespace):
        pass

    from collections import abc
    from typing import Any

    plugin.Plugin = Plugin
    plugin.AbstractLoader = Plugin
    plugin.Data = abc.Mapping[str, Any]
    plugin.MutableData = abc.MutableMapping[str, Any]
    plugin.Filter = abc.Callable[[Any], Any]
    plugin.Filters = abc.Sequence[abc.Callable[[Any], Any]]
    plugin.Function = abc.Callable[..., Any]
    plugin.Functions = abc.Sequence[abc.Callable[..., Any]]
    plugin.Test = abc.Callable[..., Any]
    plugin.Tests = abc.Sequence[abc.Callable[..., Any]]
    plugin.Policies = abc.Mapping[str, Any]
    plugin.Extensions = abc.Sequence[Any]
    plugin.PathFilter = abc.Callable[[Path], bool]
    plugin.PathFilters = abc.Sequence[abc.Callable[[Path], bool]]
    plugin.__all__ = ["Plugin"]
    config.Config = Config
    package.plugin = plugin
    package.config = config
    package.Plugin = Plugin
    sys.modules["makejinja"] = package
    sys.modules["makejinja.plugin"] = plugin
    sys.modules["makejinja.config"] = config


def import_string(name):
    """jinja2.utils.import_string: "module:Class" or "module.Class"."""
    if ":" in name:
        module, obj = name.split(":", 1)
    elif "." in name:
        module, _, obj = name.rpartition(".")
    else:
        return __import__(name)
    return getattr(__import__(module, None, None, [obj]), obj)


def make_config(raw):
    path_keys = {"inputs", "data", "import_paths"}
    values = dict(raw)
    for key in path_keys:
        if key in values:
            values[key] = [Path(item) for item in values[key]]
    if "output" in values:
        values["output"] = Path(values["output"])
    if "file_data" in values:
        values["file_data"] = {name: [Path(item) for item in items] for name, items in values["file_data"].items()}
    for key in ("delimiter", "prefix", "whitespace", "internal"):
        if isinstance(values.get(key), dict):
            values[key] = types.SimpleNamespace(**values[key])
    return types.SimpleNamespace(**values)


def make_environment():
    try:
        import jinja2
    except ImportError:
        return None
    return jinja2.Environment()


def names_of(callables):
    return [getattr(item, "__name__", str(item)) for item in callables]


def main():
    request = json.loads(sys.stdin.read())
    notes = []
    stand_in = False
    try:
        import makejinja.plugin  # noqa: F401
    except ImportError:
        install_stand_in_makejinja()
        stand_in = True
    for import_path in request.get("import_paths", []):
        sys.path.append(import_path)

    data = decode(request.get("data", {}))
    config = make_config(request.get("config", {}))
    env = make_environment()
    derived = {}
    functions, filters, tests = [], [], []

    for plugin_name in request.get("plugins", []):
        cls = import_string(plugin_name)
        parameters = inspect.signature(cls).parameters
        params = {}
        if parameters.get("env"):
            params["env"] = env
        if parameters.get("environment"):
            params["environment"] = env
        if parameters.get("data"):
            params["data"] = data
        if parameters.get("config"):
            params["config"] = config
        plugin = cls(**params)
        if hasattr(plugin, "globals"):
            functions += names_of(plugin.globals())
        if hasattr(plugin, "functions"):
            functions += names_of(plugin.functions())
        if hasattr(plugin, "data"):
            derived.update(plugin.data())
        if hasattr(plugin, "extensions") and list(plugin.extensions()):
            notes.append(f"{plugin_name}: extensions() adds Jinja extensions, which the editor renderer does not load")
        if hasattr(plugin, "filters"):
            filters += names_of(plugin.filters())
        if hasattr(plugin, "tests"):
            tests += names_of(plugin.tests())
        if hasattr(plugin, "policies") and dict(plugin.policies()):
            notes.append(f"{plugin_name}: policies() changes Jinja policies, which the editor renderer does not apply")
        if hasattr(plugin, "path_filters") and list(plugin.path_filters()):
            notes.append(f"{plugin_name}: path_filters() can skip template files; the editor renderer does not apply them")

    result = {
        "derived": encode(derived),
        "functions": functions,
        "filters": filters,
        "tests": tests,
        "notes": notes,
        "stand_in": stand_in,
    }
    sys.stdout.write(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    try:
        main()
    except BaseException as error:  # noqa: BLE001 - any failure is reported to the caller, which falls back
        sys.stderr.write(f"plugin_data: {type(error).__name__}: {error}\n")
        sys.exit(1)
