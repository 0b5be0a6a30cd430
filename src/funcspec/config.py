"""Load and validate the pipeline configuration before any job runs.

Errors name the key path and what was expected, so a typo in a 200-line config is found at
once instead of hours later inside a cluster job.
"""
from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import yaml


class ConfigError(ValueError):
    pass


def load_yaml(path) -> dict:
    with open(path) as f:
        return yaml.safe_load(f) or {}


def _key_path(error: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "<top level>"


def _describe(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        hint = f" (allowed keys: {', '.join(allowed)})" if allowed else ""
        return f"{error.message}{hint}"
    return error.message


def _apply_defaults(schema: dict, node, root: dict) -> None:
    """Fill schema defaults in place, so jobs see every value that shaped their output."""
    if "$ref" in schema:
        schema = _resolve_ref(root, schema["$ref"])
    if not isinstance(node, dict):
        return
    for key, sub in schema.get("properties", {}).items():
        if "$ref" in sub:
            sub = _resolve_ref(root, sub["$ref"])
        if key not in node and "default" in sub:
            node[key] = copy.deepcopy(sub["default"])
        if key in node:
            _apply_defaults(sub, node[key], root)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        for key, value in node.items():
            if key not in schema.get("properties", {}):
                _apply_defaults(extra, value, root)


def _resolve_ref(root: dict, ref: str) -> dict:
    node = root
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def validate(config: dict, schema_path) -> dict:
    """Return a validated copy of `config` with defaults filled in; raise ConfigError otherwise."""
    schema = load_yaml(schema_path)
    config = copy.deepcopy(config)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"  config key {_key_path(e)}: {_describe(e)}" for e in errors]
        raise ConfigError("invalid configuration:\n" + "\n".join(lines))
    _apply_defaults(schema, config, schema)
    _check_consistency(config)
    return config


def _check_consistency(config: dict) -> None:
    problems = []
    for name, ds in config["datasets"].items():
        where = f"datasets.{name}"
        is_synthetic = "synthetic" in ds
        is_real = "layout" in ds or "root" in ds
        if is_synthetic == is_real:
            problems.append(f"{where}: give either `synthetic` (generated images) or `layout` and "
                            "`root` (a dataset on disk), exactly one of the two")
        elif is_real and not ("layout" in ds and "root" in ds):
            problems.append(f"{where}: a dataset on disk needs both `layout` and `root`")
        if is_synthetic and ds["split"] == "published":
            problems.append(f"{where}.split: generated datasets have no published split; use pooled")
        if ds["image"]["crop"] > ds["image"]["resize"]:
            problems.append(f"{where}.image.crop: {ds['image']['crop']} is larger than "
                            f"image.resize {ds['image']['resize']}")
    for name in config["probe"]["datasets"]:
        if name not in config["datasets"]:
            problems.append(f"probe.datasets: {name!r} is not a dataset in `datasets` "
                            f"({', '.join(config['datasets'])})")
    if problems:
        raise ConfigError("invalid configuration:\n" + "\n".join(f"  config key {p}" for p in problems))


def resolve(snakemake_config: dict, configfiles, default_path) -> dict:
    """The config a run uses: the given --configfile(s), or else the embedded default.

    Snakemake would merge a --configfile recursively over a `configfile:` directive, letting
    keys of the default (say, a dataset the smoke run does not define) leak into every run.
    The Snakefile therefore declares no `configfile:` and loads the default only when the user
    named none; --config overrides are applied on top either way.
    """
    if configfiles:
        return snakemake_config
    return deep_merge(load_yaml(default_path), snakemake_config)


def deep_merge(base: dict, override: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def read_class_list(path) -> list[str]:
    """One class name per line; blank lines and # comments ignored."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"class list {path} does not exist")
    names = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line)
    if not names:
        raise ConfigError(f"class list {path} is empty: list one class name per line")
    return names
