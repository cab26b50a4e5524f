"""Build store trees from YAML (SPEC §5).

A configuration names stores by ``type`` and wires them through ``base``::

    stores:
      files:
        type: FilesystemStore
        config: {root_path: "${DATA:-./data}"}
      cached:
        type: CachingStore
        base: {main_store: files, cache_store: memory}
      memory:
        type: DictStore
    main: cached

Every mistake is a ``ConfigError`` naming the store and the field, raised before any store is
constructed. The store returned is the root of the tree; opening or closing it (``with``)
opens every store below it once, bases first, and closes them once, wrappers first.
"""

from __future__ import annotations

import os
import re
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Union

import yaml

from storage._base import AsyncObjectStore
from storage._signature import KEYWORD_ONLY, POSITIONAL_OR_KEYWORD, VAR_KEYWORD, parameters
from storage.errors import ConfigError
from storage.plugins import Registry, default_registry

__all__ = ["load_config", "load_store"]

Source = Union[str, "os.PathLike[str]", Mapping[str, Any]]
BaseSpec = Union[str, List[Any], Dict[str, Any]]

TOP_LEVEL_FIELDS = ("stores", "main")
STORE_FIELDS = ("type", "config", "base")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_TOKEN = re.compile(r"\$\$|\$\{([^}]*)\}")


def _error(store: str, field: str, message: str) -> ConfigError:
    error = ConfigError(f"store {store!r}, field {field!r}: {message}")
    error.config_store = store  # type: ignore[attr-defined]
    error.field = field  # type: ignore[attr-defined]
    return error


def load_config(source: Source) -> dict[str, Any]:
    """Read a configuration file (or take a mapping) and check its top-level shape."""
    if isinstance(source, Mapping):
        data: Any = source
    else:
        path = os.fspath(source)
        try:
            with open(path, encoding="utf-8") as file:
                data = yaml.safe_load(file)
        except OSError as err:
            raise ConfigError(f"cannot read configuration {path!r}: {err.strerror or err}") from err
        except yaml.YAMLError as err:
            raise ConfigError(f"configuration {path!r} is not valid YAML: {err}") from err
    if not isinstance(data, Mapping):
        raise ConfigError("a configuration is a mapping with 'stores' and 'main'")
    unknown = sorted(set(data) - set(TOP_LEVEL_FIELDS))
    if unknown:
        raise ConfigError(f"unknown top-level field {unknown[0]!r} (allowed: {', '.join(TOP_LEVEL_FIELDS)})")
    stores = data.get("stores")
    if not isinstance(stores, Mapping) or not stores:
        raise ConfigError("field 'stores' must be a mapping of store names to definitions")
    for name, definition in stores.items():
        _check_definition(str(name), definition, stores)
    main = data.get("main")
    if main is not None and (not isinstance(main, str) or main not in stores):
        raise ConfigError(f"field 'main': {main!r} names no store (stores: {', '.join(map(str, stores))})")
    return dict(data)


def _check_definition(name: str, definition: Any, stores: Mapping[str, Any]) -> None:
    if not isinstance(definition, Mapping):
        raise _error(name, "type", "a store definition is a mapping with 'type' (and 'config', 'base')")
    unknown = sorted(set(definition) - set(STORE_FIELDS))
    if unknown:
        raise _error(name, unknown[0], f"unknown field (allowed: {', '.join(STORE_FIELDS)})")
    if not isinstance(definition.get("type"), str) or not definition["type"]:
        raise _error(name, "type", "missing or not a string")
    config = definition.get("config")
    if config is not None and not isinstance(config, Mapping):
        raise _error(name, "config", "must be a mapping of constructor arguments")
    if "base" in definition:
        for field, ref in _base_refs(definition["base"], "base", name):
            if ref not in stores:
                raise _error(name, field, f"names no store: {ref!r}")


def _base_refs(spec: Any, field: str, store: str) -> list[tuple[str, str]]:
    """Every (field path, store name) that a ``base`` value refers to."""
    if isinstance(spec, str):
        return [(field, spec)]
    if isinstance(spec, list):
        return [ref for i, item in enumerate(spec) for ref in _base_refs(item, f"{field}[{i}]", store)]
    if isinstance(spec, Mapping):
        return [ref for key, item in spec.items() for ref in _base_refs(item, f"{field}.{key}", store)]
    raise _error(store, field, "must be a store name, a list of them, or a mapping of them")


class _Plan(NamedTuple):
    """What to build: stores in dependency order, with their classes and arguments."""

    order: list[str]
    classes: dict[str, type]
    arguments: dict[str, dict[str, Any]]


class _Substituter:
    """Replaces ``${VAR}``, ``${VAR:-default}`` and ``${scheme:arg}`` in string values."""

    def __init__(self, environ: Mapping[str, str], resolvers: Callable[[], Mapping[str, Callable[[str], str]]]):
        self.environ = environ
        self._resolvers = resolvers
        self._loaded: Optional[Mapping[str, Callable[[str], str]]] = None

    def resolver(self, scheme: str) -> Optional[Callable[[str], str]]:
        if self._loaded is None:
            self._loaded = self._resolvers()
        return self._loaded.get(scheme)

    def __call__(self, value: Any, store: str, field: str) -> Any:
        if isinstance(value, str):
            return _TOKEN.sub(lambda match: self._replace(match, store, field), value)
        if isinstance(value, list):
            return [self(item, store, f"{field}[{i}]") for i, item in enumerate(value)]
        if isinstance(value, Mapping):
            return {key: self(item, store, f"{field}.{key}") for key, item in value.items()}
        return value

    def _replace(self, match: re.Match[str], store: str, field: str) -> str:
        if match.group(0) == "$$":
            return "$"
        body = match.group(1)
        name, has_default, default = body.partition(":-")
        if has_default or _IDENTIFIER.match(body):
            if not _IDENTIFIER.match(name):
                raise _error(store, field, f"${{{body}}} is not a valid variable reference")
            value = self.environ.get(name)
            if value is None or (has_default and value == ""):
                if has_default:
                    return default
                raise _error(store, field, f"environment variable {name} is not set")
            return value
        scheme, has_scheme, argument = body.partition(":")
        resolve = self.resolver(scheme) if has_scheme else None
        if resolve is None:
            raise _error(store, field, f"${{{body}}}: no variable syntax or value resolver {scheme!r} matches")
        try:
            return str(resolve(argument))
        except ConfigError:
            raise
        except Exception as err:
            raise _error(store, field, f"resolver {scheme!r} failed for {argument!r}: {err}") from err


def _build_order(stores: Mapping[str, Any], root: str) -> list[str]:
    """Stores reachable from ``root``, bases before the stores that use them; refuses cycles."""
    order: list[str] = []
    done: set[str] = set()
    path: list[str] = []

    def visit(name: str) -> None:
        if name in done:
            return
        if name in path:
            cycle = " -> ".join([*path[path.index(name) :], name])
            raise ConfigError(f"Recursive store definition found -- {name} ({cycle})")
        path.append(name)
        definition = stores[name]
        if "base" in definition:
            for _, ref in _base_refs(definition["base"], "base", name):
                visit(ref)
        path.pop()
        done.add(name)
        order.append(name)

    visit(root)
    return order


def _base_arguments(spec: BaseSpec) -> dict[str, Any]:
    if isinstance(spec, str):
        return {"store": spec}
    if isinstance(spec, list):
        return {"children": spec}
    return dict(spec)


def _check_arguments(name: str, cls: type, arguments: Mapping[str, Any], base_fields: set[str]) -> None:
    params = parameters(cls)
    if params is None:
        return
    if any(p.kind == VAR_KEYWORD for p in params):
        accepted = None
    else:
        accepted = {p.name for p in params if p.kind in (POSITIONAL_OR_KEYWORD, KEYWORD_ONLY)}
    for argument in arguments:
        if accepted is not None and argument not in accepted:
            field = "base" if argument in base_fields else f"config.{argument}"
            allowed = ", ".join(sorted(accepted)) or "(none)"
            what = "takes no base" if argument in base_fields and len(base_fields) == 1 else "unknown argument"
            raise _error(name, field, f"{what} for {cls.__name__} (accepted arguments: {allowed})")
    for parameter in params:
        if parameter.required and parameter.name not in arguments:
            field = "base" if parameter.name in ("store", "children") else f"config.{parameter.name}"
            raise _error(name, field, f"{cls.__name__} requires argument {parameter.name!r}")


def _plan(config: Mapping[str, Any], root: str, registry: Registry, environ: Mapping[str, str]) -> _Plan:
    stores = config["stores"]
    order = _build_order(stores, root)
    substitute = _Substituter(environ, registry.resolvers)
    classes: dict[str, type] = {}
    arguments: dict[str, dict[str, Any]] = {}
    for name in order:
        definition = stores[name]
        type_name = substitute(definition["type"], name, "type")
        try:
            classes[name] = registry.load(type_name)
        except ConfigError as err:
            raise _error(name, "type", str(err)) from err
        values = substitute(dict(definition.get("config") or {}), name, "config")
        base_values = _base_arguments(definition["base"]) if "base" in definition else {}
        overlap = sorted(set(values) & set(base_values))
        if overlap:
            raise _error(name, f"config.{overlap[0]}", "is also given by 'base'")
        _check_arguments(name, classes[name], {**values, **base_values}, set(base_values))
        base_classes = [classes[ref] for _, ref in _base_refs(definition.get("base", []), "base", name)]
        _check_kinds(name, classes[name], base_classes)
        arguments[name] = {**values, **base_values}
    return _Plan(order, classes, arguments)


def _check_kinds(name: str, cls: type, base_classes: list[type]) -> None:
    is_async = issubclass(cls, AsyncObjectStore)
    for base in base_classes:
        if issubclass(base, AsyncObjectStore) != is_async:
            kind, other = ("an async", "sync") if is_async else ("a sync", "async")
            raise _error(name, "base", f"{cls.__name__} is {kind} store but its base {base.__name__} is {other}")


def _resolve_bases(value: Any, built: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        return built[value]
    if isinstance(value, list):
        return [_resolve_bases(item, built) for item in value]
    return {key: _resolve_bases(item, built) for key, item in value.items()}


def _construct(plan: _Plan, stores: Mapping[str, Any], registry: Registry) -> Any:
    built: dict[str, Any] = {}
    try:
        for name in plan.order:
            definition = stores[name]
            base_values = _base_arguments(definition["base"]) if "base" in definition else {}
            kwargs = dict(plan.arguments[name])
            kwargs.update({key: _resolve_bases(value, built) for key, value in base_values.items()})
            try:
                store = plan.classes[name](**kwargs)
            except Exception as err:
                raise _error(name, "config", f"{plan.classes[name].__name__} refused its arguments: {err}") from err
            built[name] = registry.wrap_built(name, store)
        for name in plan.order:
            try:
                validate = getattr(built[name], "validate_stack", None)
                if validate is not None:
                    validate()
            except ConfigError as err:
                raise _error(name, "base", str(err)) from err
    except BaseException:
        for store in reversed(list(built.values())):
            _discard(store)
        raise
    return built[plan.order[-1]]


def _discard(store: Any) -> None:
    import inspect

    closer = getattr(store, "close", None)
    if closer is None or inspect.iscoroutinefunction(closer):
        return
    try:
        closer()
    except Exception:
        pass


def load_store(
    source: Source,
    name: Optional[str] = None,
    *,
    registry: Optional[Registry] = None,
    environ: Optional[Mapping[str, str]] = None,
) -> Any:
    """Build the store ``name`` (default: the config's ``main``) and every store below it.

    ``source`` is a path to a YAML file or an already-parsed mapping. Only the types this store
    tree names are imported. Returns the root store, unopened: use it in ``with`` (``async with``
    for async stores) or let it open on first use.
    """
    config = load_config(source)
    root = name if name is not None else config.get("main")
    if root is None:
        raise ConfigError("no store named and the configuration has no 'main'")
    if root not in config["stores"]:
        raise ConfigError(f"no store named {root!r} (stores: {', '.join(map(str, config['stores']))})")
    registry = registry or default_registry()
    plan = _plan(config, root, registry, os.environ if environ is None else environ)
    return _construct(plan, config["stores"], registry)
