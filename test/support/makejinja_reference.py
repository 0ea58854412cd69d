#!/usr/bin/env python3
"""Reference renderer for the parity tests: renders a workspace the way makejinja 2.8.2 does, with the
Jinja2 installed for this Python (Debian's python3-jinja2). It does not need makejinja itself.

Usage: makejinja_reference.py <workspace> [--out <dir>]

Behaviour follows makejinja 2.8.2 (src/makejinja/app.py, config.py, plugin.py at tag v2.8.2).
Exit codes: 0 rendered; 1 a template failed (stderr: `template:line: Type: message`);
2 the workspace or a plugin is broken outside any template; 3 jinja2 or yaml is not installed.
"""

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import types
from collections import abc
from inspect import signature
from pathlib import Path
from typing import Any, Protocol

try:
    import tomllib
    import yaml
    from jinja2 import (
        BaseLoader,
        ChainableUndefined,
        ChoiceLoader,
        DebugUndefined,
        DictLoader,
        Environment,
        FileSystemLoader,
        StrictUndefined,
        TemplateSyntaxError,
        Undefined,
    )
    from jinja2.environment import load_extensions
    from jinja2.utils import import_string
except ImportError as missing:  # the caller turns this into a skip (or a failure in CI)
    print(f"reference unavailable: {missing}", file=sys.stderr)
    sys.exit(3)

# Importing a workspace's plugin must not leave __pycache__ folders in the fixtures.
sys.dont_write_bytecode = True

UNDEFINED_CLASSES = {
    "default": Undefined,
    "chainable": ChainableUndefined,
    "debug": DebugUndefined,
    "strict": StrictUndefined,
}


class WorkspaceError(Exception):
    """A broken workspace (config, data or plugin), reported with exit code 2."""


# --- configuration: makejinja's Config with its defaults (config.py) -----------------------------

TOP_LEVEL_DEFAULTS: dict[str, Any] = {
    "inputs": (),
    "output": None,
    "include_patterns": ("**/*",),
    "exclude_patterns": (),
    "jinja_suffix": ".jinja",
    "keep_jinja_suffix": False,
    "keep_empty": False,
    "copy_metadata": False,
    "data": (),
    "data_vars": {},
    "file_data": {},
    "loaders": (),
    "plugins": (),
    "import_paths": (".",),
    "extensions": (),
    "undefined": "default",
    "exec_pre": (),
    "exec_post": (),
    "clean": False,
    "force": False,
    "quiet": True,
}

SECTION_DEFAULTS: dict[str, dict[str, Any]] = {
    "delimiter": {
        "block_start": "{%",
        "block_end": "%}",
        "variable_start": "{{",
        "variable_end": "}}",
        "comment_start": "{#",
        "comment_end": "#}",
    },
    "prefix": {"line_statement": None, "line_comment": None},
    # makejinja's whitespace defaults differ from Jinja's: all three switches are on.
    "whitespace": {
        "trim_blocks": True,
        "lstrip_blocks": True,
        "newline_sequence": "\n",
        "keep_trailing_newline": True,
    },
    "internal": {
        "optimized": True,
        "autoescape": False,
        "cache_size": 0,
        "auto_reload": False,
        "enable_async": False,
    },
}


def normalized_keys(table: abc.Mapping[str, Any]) -> dict[str, Any]:
    # typed-settings accepts dashes for underscores and refuses unknown keys.
    return {key.replace("-", "_"): value for key, value in table.items()}


def read_config(workspace: Path, out: Path | None) -> types.SimpleNamespace:
    toml_path = workspace / "makejinja.toml"
    with toml_path.open("rb") as fp:
        document = tomllib.load(fp)
    table = normalized_keys(document.get("makejinja", {}))

    values = dict(TOP_LEVEL_DEFAULTS)
    sections = {name: dict(defaults) for name, defaults in SECTION_DEFAULTS.items()}
    for key, value in table.items():
        if key in sections:
            for sub_key, sub_value in normalized_keys(value).items():
                if sub_key not in sections[key]:
                    raise WorkspaceError(f"invalid option makejinja.{key}.{sub_key}")
                sections[key][sub_key] = sub_value
        elif key in values:
            values[key] = value
        else:
            raise WorkspaceError(f"invalid option makejinja.{key}")

    if not values["inputs"] or values["output"] is None:
        raise WorkspaceError("makejinja.toml needs inputs and output")
    if values["undefined"] not in UNDEFINED_CLASSES:
        raise WorkspaceError(f"unknown undefined mode {values['undefined']!r}")

    config = types.SimpleNamespace(**values)
    config.inputs = tuple(Path(path) for path in values["inputs"])
    config.output = out if out is not None else Path(values["output"])
    config.data = tuple(Path(path) for path in values["data"])
    config.import_paths = tuple(Path(path) for path in values["import_paths"])
    config.data_vars = {str(key): str(value) for key, value in values["data_vars"].items()}
    config.file_data = {str(key): tuple(Path(path) for path in paths) for key, paths in values["file_data"].items()}
    config.undefined_class = UNDEFINED_CLASSES[values["undefined"]]
    for name, section in sections.items():
        setattr(config, name, types.SimpleNamespace(**section))
    return config


# --- a stand-in `makejinja` package for plugins that `import makejinja` -------------------------


def install_makejinja_stand_in() -> None:
    """Registers makejinja, makejinja.plugin and makejinja.config when the real package is absent."""
    try:
        import makejinja  # noqa: F401  (the real one wins when installed)

        return
    except ImportError:
        pass

    plugin_module = types.ModuleType("makejinja.plugin")

    class Plugin(Protocol):
        # Same shape as makejinja.plugin.Plugin: subclasses inherit these empty defaults.
        def __init__(self, *, env: Environment, data: Any, config: Any) -> None:
            pass

        def functions(self) -> Any:
            return []

        def data(self) -> Any:
            return {}

        def filters(self) -> Any:
            return []

        def tests(self) -> Any:
            return []

        def policies(self) -> Any:
            return {}

        def extensions(self) -> Any:
            return []

        def path_filters(self) -> Any:
            return []

        def globals(self) -> Any:
            return []

    plugin_module.Plugin = Plugin
    plugin_module.AbstractLoader = Plugin
    plugin_module.Extensions = abc.Sequence
    plugin_module.Filter = abc.Callable
    plugin_module.Filters = abc.Sequence
    plugin_module.Function = abc.Callable
    plugin_module.Functions = abc.Sequence
    plugin_module.Test = abc.Callable
    plugin_module.Tests = abc.Sequence
    plugin_module.Policies = abc.Mapping
    plugin_module.MutableData = abc.MutableMapping
    plugin_module.Data = abc.Mapping
    plugin_module.PathFilter = abc.Callable
    plugin_module.PathFilters = abc.Sequence

    config_module = types.ModuleType("makejinja.config")
    config_module.Config = types.SimpleNamespace

    package = types.ModuleType("makejinja")
    package.__path__ = []  # a package, so `import makejinja.plugin` resolves from sys.modules
    package.plugin = plugin_module
    package.loader = plugin_module
    package.config = config_module
    sys.modules["makejinja"] = package
    sys.modules["makejinja.plugin"] = plugin_module
    sys.modules["makejinja.config"] = config_module


# --- data files (app.py: from_yaml, from_toml, from_json, collect_files, load_data) --------------


def from_yaml(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = {}
    with path.open("rb") as fp:
        for document in yaml.safe_load_all(fp):
            if not isinstance(document, abc.Mapping):
                raise TypeError(f"Expected YAML documents in '{path}' to be mappings but found {type(document).__name__}")
            data |= document
    return data


def from_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as fp:
        return dict(tomllib.load(fp))


def from_json(path: Path) -> dict[str, Any]:
    with path.open("rb") as fp:
        data = json.load(fp)
    if not isinstance(data, abc.Mapping):
        raise TypeError(f"Expected JSON documents in '{path}' to be mappings but found {type(data).__name__}")
    return data


DATA_LOADERS = {".yaml": from_yaml, ".yml": from_yaml, ".toml": from_toml, ".json": from_json}


def collect_files(paths: abc.Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(file for file in sorted(path.glob("**/*")) if not file.name.startswith(".") and file.is_file())
        elif path.is_file():
            files.append(path)
    return files


def set_dotted(data: dict[str, Any], dotted_key: str, value: Any) -> None:
    keys = dotted_key.split(".")
    here = data
    for key in keys[:-1]:
        here = here.setdefault(key, {})
    here[keys[-1]] = value


def load_data(config: types.SimpleNamespace) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for path in collect_files(config.data):
        loader = DATA_LOADERS.get(path.suffix)
        if loader:
            data |= loader(path)
    for key, value in config.data_vars.items():
        set_dotted(data, key, value)
    return data


def load_file_data(template_name: str, config: types.SimpleNamespace) -> dict[str, Any]:
    file_data: dict[str, Any] = {}
    for data_path in config.file_data.get(template_name, ()):
        loader = DATA_LOADERS.get(data_path.suffix)
        if data_path.exists() and loader:
            file_data |= loader(data_path)
    return file_data


# --- environment and plugins (app.py: init_jinja_env, load_plugin) -------------------------------


def is_single_file_run(config: types.SimpleNamespace) -> bool:
    return (
        len(config.inputs) <= 1
        and not any(path.is_dir() for path in config.inputs)
        and (config.output.suffix != "" or config.output.is_file())
        and not config.output.is_dir()
    )


def create_environment(config: types.SimpleNamespace, data: dict[str, Any]) -> Environment:
    # Single-file inputs are read in text mode (universal newlines), folders through FileSystemLoader.
    file_loader = DictLoader({path.name: path.read_text(encoding="utf-8") for path in config.inputs if path.is_file()})
    dir_loader = FileSystemLoader([path for path in config.inputs if path.is_dir()])
    loaders: list[BaseLoader] = [file_loader, dir_loader]
    delimiter, prefix, whitespace, internal = config.delimiter, config.prefix, config.whitespace, config.internal
    env = Environment(
        loader=ChoiceLoader(loaders),
        extensions=config.extensions,
        block_start_string=delimiter.block_start,
        block_end_string=delimiter.block_end,
        variable_start_string=delimiter.variable_start,
        variable_end_string=delimiter.variable_end,
        comment_start_string=delimiter.comment_start,
        comment_end_string=delimiter.comment_end,
        line_statement_prefix=prefix.line_statement,
        line_comment_prefix=prefix.line_comment,
        trim_blocks=whitespace.trim_blocks,
        lstrip_blocks=whitespace.lstrip_blocks,
        newline_sequence=whitespace.newline_sequence,
        keep_trailing_newline=whitespace.keep_trailing_newline,
        optimized=internal.optimized,
        undefined=config.undefined_class,
        finalize=None,
        autoescape=internal.autoescape,
        cache_size=internal.cache_size,
        auto_reload=internal.auto_reload,
        bytecode_cache=None,
        enable_async=internal.enable_async,
    )
    env.globals.update(data)
    env.globals["env"] = os.environ
    return env


def load_plugin(name: str, env: Environment, data: dict[str, Any], config: types.SimpleNamespace) -> Any:
    cls = import_string(name)
    parameters = signature(cls).parameters
    arguments: dict[str, Any] = {}
    if parameters.get("env"):
        arguments["env"] = env
    if parameters.get("environment"):
        arguments["environment"] = env
    if parameters.get("data"):
        arguments["data"] = data
    if parameters.get("config"):
        arguments["config"] = config
    plugin = cls(**arguments)

    # The order matters: later updates overwrite earlier ones with the same name.
    if hasattr(plugin, "globals"):
        env.globals.update({func.__name__: func for func in plugin.globals()})
    if hasattr(plugin, "functions"):
        env.globals.update({func.__name__: func for func in plugin.functions()})
    if hasattr(plugin, "data"):
        env.globals.update(plugin.data())
    if hasattr(plugin, "extensions"):
        load_extensions(env, plugin.extensions())
    if hasattr(plugin, "filters"):
        env.filters.update({func.__name__: func for func in plugin.filters()})
    if hasattr(plugin, "tests"):
        env.tests.update({func.__name__: func for func in plugin.tests()})
    if hasattr(plugin, "policies"):
        env.policies.update(plugin.policies())
    return plugin


# --- walking the inputs (app.py: handle_input_dir, render_file, postprocess_rendered_dirs) ------


class TemplateFailure(Exception):
    def __init__(self, template_name: str, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.template_name = template_name
        self.cause = cause


def output_path_for(config: types.SimpleNamespace, relative_path: Path) -> Path:
    if is_single_file_run(config):
        return config.output
    output_file = config.output / relative_path
    if relative_path.suffix == config.jinja_suffix and not config.keep_jinja_suffix:
        output_file = output_file.with_suffix("")
    return output_file


def render_file(source: Path, template_name: str, output: Path, config, env: Environment, enforce_suffix: bool) -> None:
    if output.exists() and not config.force:
        return
    if source.suffix == config.jinja_suffix or not enforce_suffix:
        try:
            template = env.get_template(template_name)
            rendered = template.render(load_file_data(template_name, config))
        except Exception as error:
            raise TemplateFailure(template_name, error) from error
        # A text of only whitespace (e.g. macro definitions) is not written.
        if rendered.strip() == "" and not config.keep_empty:
            return
        # Text mode as makejinja opens it; on Linux "\n" is written unchanged.
        with output.open("w", encoding="utf-8") as fp:
            fp.write(rendered)
        if config.copy_metadata:
            shutil.copystat(source, output)
    else:
        shutil.copy2(source, output)


def render_inputs(config: types.SimpleNamespace, env: Environment, path_filters: list[Any]) -> None:
    rendered_files: dict[Path, Path] = {}
    rendered_dirs: dict[Path, Path] = {}
    for user_input in config.inputs:
        if user_input.is_file():
            relative = Path(user_input.name)
            output = output_path_for(config, relative)
            if output not in rendered_files:
                render_file(user_input, str(relative), output, config, env, enforce_suffix=False)
            rendered_files[output] = user_input
        elif user_input.is_dir():
            enforce_suffix = bool(config.jinja_suffix)
            # Path objects sort by their parts, so "a/b" comes before "a-b".
            candidates = (path for pattern in config.include_patterns for path in sorted(user_input.glob(pattern)))
            for source in candidates:
                relative = source.relative_to(user_input)
                output = output_path_for(config, relative)
                excluded = any(source.match(pattern) for pattern in config.exclude_patterns)
                filtered = any(not path_filter(source) for path_filter in path_filters)
                if excluded or filtered:
                    continue
                if source.is_file() and output not in rendered_files:
                    render_file(source, str(relative), output, config, env, enforce_suffix)
                    rendered_files[output] = source
                elif source.is_dir() and output not in rendered_dirs:
                    if not output.exists() or config.force:
                        output.mkdir(exist_ok=True)
                    rendered_dirs[output] = source

    # Deepest first, so removing or stamping a folder happens after its children.
    for output, source in sorted(rendered_dirs.items(), key=lambda item: item[0], reverse=True):
        if not config.keep_empty and not any(output.iterdir()):
            shutil.rmtree(output)
        elif config.copy_metadata:
            shutil.copystat(source, output)


def run_makejinja(config: types.SimpleNamespace) -> None:
    for command in config.exec_pre:
        subprocess.run(command, shell=True, check=True)
    for path in config.import_paths:
        sys.path.append(str(path.resolve()))
    install_makejinja_stand_in()
    data = load_data(config)
    if config.output.is_dir() and config.clean:
        shutil.rmtree(config.output)
    if not is_single_file_run(config):
        config.output.mkdir(exist_ok=True, parents=True)
    env = create_environment(config, data)
    plugins = [load_plugin(name, env, data, config) for name in itertools.chain(config.plugins, config.loaders)]
    path_filters = [path_filter for plugin in plugins if hasattr(plugin, "path_filters") for path_filter in plugin.path_filters()]
    render_inputs(config, env, path_filters)
    for command in config.exec_post:
        subprocess.run(command, shell=True, check=True)


# --- error reporting ------------------------------------------------------------------------------


def template_name_of(filename: str, config: types.SimpleNamespace) -> str | None:
    """The loader name of a template file (relative to the first input folder holding it)."""
    absolute = Path(os.path.abspath(filename))
    for user_input in config.inputs:
        if user_input.is_dir():
            try:
                return absolute.relative_to(user_input.resolve()).as_posix()
            except ValueError:
                continue
    return None


def error_location(failure: TemplateFailure, config: types.SimpleNamespace) -> tuple[str, int]:
    cause = failure.cause
    if isinstance(cause, TemplateSyntaxError):
        return cause.name or failure.template_name, cause.lineno
    # Jinja rewrites the traceback: frames inside templates carry the template's file and line and
    # have __jinja_exception__ in their globals. The innermost one is where the template failed.
    location: tuple[str, int] | None = None
    tb = cause.__traceback__
    while tb is not None:
        if "__jinja_exception__" in tb.tb_frame.f_globals:
            name = template_name_of(tb.tb_frame.f_code.co_filename, config) or failure.template_name
            location = (name, tb.tb_lineno)
        tb = tb.tb_next
    return location or (failure.template_name, 0)


def main() -> int:
    parser = argparse.ArgumentParser(description="Render a makejinja workspace with the installed Jinja2.")
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--out", type=Path, help="output root instead of makejinja.toml's output")
    args = parser.parse_args()
    out = args.out.resolve() if args.out is not None else None
    # makejinja resolves every relative path against its working directory: the workspace.
    os.chdir(args.workspace)
    config = None
    try:
        config = read_config(Path("."), out)
        run_makejinja(config)
    except TemplateFailure as failure:
        name, line = error_location(failure, config)
        cause = failure.cause
        message = cause.message if isinstance(cause, TemplateSyntaxError) else str(cause)
        first_line = (message or "").splitlines()[0] if message else ""
        print(f"{name}:{line}: {type(cause).__name__}: {first_line}", file=sys.stderr)
        return 1
    except Exception as error:  # the workspace itself is broken: not a template error
        print(f"reference: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
