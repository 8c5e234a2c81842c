"""Read a Pulumi project folder the way the Pulumi CLI reads it, without the CLI.

``Pulumi.yaml`` gives the name, runtime, entry point and project-level config defaults;
``Pulumi.<stack>.yaml`` gives the stack's config. ``secure:`` values are ciphertext only the
CLI's secrets provider can open, so they are never decrypted: the program sees a placeholder
and the key is registered as secret, which keeps every value derived from it secret too.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

from ..errors import ConfigError, UsageError
from ..inputs.safe_yaml import load_yaml

SECRET_PLACEHOLDER = "[secret]"


@dataclass(frozen=True)
class RuntimeOptions:
    """The ``runtime.options`` of a Python project that decide which interpreter runs it."""

    virtualenv: Optional[str] = None
    toolchain: Optional[str] = None


@dataclass(frozen=True)
class PulumiProject:
    """One project and stack, resolved: what the harness needs to run the program."""

    root: Path
    name: str
    stack: str
    program: Path
    runtime: RuntimeOptions
    config: Dict[str, str] = field(default_factory=dict)
    secret_keys: Tuple[str, ...] = ()
    organization: Optional[str] = None
    warnings: Tuple[str, ...] = ()

    @property
    def program_dir(self) -> Path:
        return self.program if self.program.is_dir() else self.program.parent


def load_project(root: Union[str, "os.PathLike[str]"], stack: str) -> PulumiProject:
    """Load ``root/Pulumi.yaml`` and ``root/Pulumi.<stack>.yaml`` into a :class:`PulumiProject`."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise UsageError("project folder %s does not exist" % root, "pass the folder that holds Pulumi.yaml")
    project_file = _find(root, "Pulumi")
    if project_file is None:
        raise UsageError("no Pulumi.yaml in %s" % root, "pass the folder that holds Pulumi.yaml")
    document = _read_yaml(project_file)
    if not isinstance(document, dict) or not isinstance(document.get("name"), str):
        raise ConfigError("%s has no 'name'" % project_file, "every Pulumi project needs `name: <project>`")
    name = document["name"]
    runtime_name, options = _runtime(document, project_file)
    if runtime_name != "python":
        raise UsageError(
            "%s uses runtime %r; sahab plans Python programs only" % (project_file, runtime_name),
            "plan the Python project, or port the program to Python",
        )
    if not isinstance(document.get("main") or ".", str):
        raise ConfigError("%s: main must be a path, not %r" % (project_file, document["main"]), "fix `main:` in Pulumi.yaml")
    program = root / (document.get("main") or ".")
    if not program.exists():
        raise ConfigError("%s names main %r, which does not exist" % (project_file, document.get("main")), "fix `main:` in Pulumi.yaml")
    entry = program / "__main__.py" if program.is_dir() else program
    if not entry.is_file():
        raise UsageError("no __main__.py in %s" % program, "a Python Pulumi program starts at __main__.py (or set `main:` to its file)")

    warnings: List[str] = []
    config, secret_keys = _project_defaults(document.get("config"), name, project_file)
    stack_file = _find(root, "Pulumi.%s" % stack)
    if stack_file is None:
        raise UsageError(
            "no Pulumi.%s.yaml in %s" % (stack, root),
            "create it, or pick one of: %s" % (", ".join(available_stacks(root)) or "no stacks found"),
        )
    stack_document = _read_yaml(stack_file) or {}
    if not isinstance(stack_document, dict):
        raise ConfigError("%s is not a YAML mapping" % stack_file, "it should hold `config:`")
    if stack_document.get("environment"):
        warnings.append("%s imports Pulumi ESC environments; they are not resolved offline" % stack_file.name)
    stack_config, stack_secrets = _stack_config(stack_document.get("config") or {}, name, stack_file)
    config.update(stack_config)
    secrets = set(secret_keys) | stack_secrets
    secrets -= {key for key in stack_config if key not in stack_secrets}
    return PulumiProject(
        root=root,
        name=name,
        stack=stack,
        program=program,
        runtime=options,
        config=config,
        secret_keys=tuple(sorted(secrets)),
        organization=document.get("organization") if isinstance(document.get("organization"), str) else None,
        warnings=tuple(warnings),
    )


def available_stacks(root: Path) -> List[str]:
    names = set()
    for path in root.glob("Pulumi.*.y*ml"):
        names.add(path.name.split(".", 1)[1].rsplit(".", 1)[0])
    return sorted(names)


def _find(root: Path, stem: str) -> Optional[Path]:
    for suffix in (".yaml", ".yml"):
        candidate = root / (stem + suffix)
        if candidate.is_file():
            return candidate
    return None


def _read_yaml(path: Path) -> Any:
    return load_yaml(path, "Pulumi file", "fix %s" % path.name)


def _runtime(document: Dict[str, Any], path: Path) -> Tuple[str, RuntimeOptions]:
    runtime = document.get("runtime")
    if isinstance(runtime, str):
        return runtime, RuntimeOptions()
    if isinstance(runtime, dict) and isinstance(runtime.get("name"), str):
        options = runtime.get("options") or {}
        if not isinstance(options, dict):
            raise ConfigError("%s: runtime.options must be a mapping" % path, "see Pulumi's project file reference")
        for key in ("virtualenv", "toolchain"):
            if options.get(key) is not None and not isinstance(options[key], str):
                raise ConfigError("%s: runtime.options.%s must be a %s, not %r" % (
                    path, key, "path" if key == "virtualenv" else "name", options[key]), "see Pulumi's project file reference")
        return runtime["name"], RuntimeOptions(
            virtualenv=options.get("virtualenv"), toolchain=options.get("toolchain")
        )
    raise ConfigError("%s has no runtime" % path, "add `runtime: python`")


def _full_key(key: str, project: str) -> str:
    return key if ":" in key else "%s:%s" % (project, key)


def _project_defaults(section: Any, project: str, path: Path) -> Tuple[Dict[str, str], List[str]]:
    """Project-level config: plain values, or ``{type, default|value, secret}`` declarations."""
    config: Dict[str, str] = {}
    secrets: List[str] = []
    if not section:
        return config, secrets
    if not isinstance(section, dict):
        raise ConfigError("%s: `config:` must be a mapping" % path, "see Pulumi's project file reference")
    for key, spec in section.items():
        full = _full_key(str(key), project)
        if isinstance(spec, dict) and ({"type", "default", "value", "description", "secret"} & set(spec)):
            if "value" in spec:
                value = spec["value"]
            elif "default" in spec:
                value = spec["default"]
            else:
                continue
            if spec.get("secret"):
                secrets.append(full)
            config[full] = _encode(value, full, path)[0]
        else:
            encoded, is_secret = _encode(spec, full, path)
            config[full] = encoded
            if is_secret:
                secrets.append(full)
    return config, secrets


def _stack_config(section: Any, project: str, path: Path) -> Tuple[Dict[str, str], set]:
    if not isinstance(section, dict):
        raise ConfigError("%s: `config:` must be a mapping" % path, "write `config:` followed by `key: value` lines")
    config: Dict[str, str] = {}
    secrets = set()
    for key, value in section.items():
        full = _full_key(str(key), project)
        encoded, is_secret = _encode(value, full, path)
        config[full] = encoded
        if is_secret:
            secrets.add(full)
    return config, secrets


def _encode(value: Any, key: str, path: Path) -> Tuple[str, bool]:
    """Encode a config value as the string Pulumi hands a program; note if it holds a secret."""
    if _is_secure(value):
        return SECRET_PLACEHOLDER, True
    if isinstance(value, (dict, list)):
        replaced, had_secret = _replace_secure(value)
        return json.dumps(replaced), had_secret
    if isinstance(value, bool):
        return ("true" if value else "false"), False
    if value is None:
        return "", False
    if isinstance(value, (int, float, str)):
        return str(value), False
    raise ConfigError("%s: config %s has an unsupported value %r" % (path, key, value), "use a string, number, boolean, list or mapping")


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def _replace_secure(value: Any) -> Tuple[Any, bool]:
    if _is_secure(value):
        return SECRET_PLACEHOLDER, True
    if isinstance(value, dict):
        pairs = [(k, _replace_secure(v)) for k, v in value.items()]
        return {k: v for k, (v, _) in pairs}, any(s for _, (_, s) in pairs)
    if isinstance(value, list):
        items = [_replace_secure(v) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False
