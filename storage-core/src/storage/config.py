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
import types
import typing
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Union

import yaml

from storage._base import AsyncObjectStore
from storage._signature import KEYWORD_ONLY, POSITIONAL_OR_KEYWORD, VAR_KEYWORD, parameter_annotations, parameters
from storage.errors import ConfigError
from storage.plugins import Registry, default_registry

__all__ = ["load_config", "load_store"]

Source = Union[str, "os.PathLike[str]", Mapping[str, Any]]
BaseSpec = Union[str, List[Any], Dict[str, Any]]

TOP_LEVEL_FIELDS = ("stores", "main")
STORE_FIELDS = ("type", "config", "base")
#: Constructor keywords that only ``base`` gives (a store name is no argument value).
BASE_KEYWORDS = ("store", "children")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_TOKEN = re.compile(r"\$\$|\$\{([^}]*)\}")


def _error(store: str, field: str, message: str) -> ConfigError:
    """A ``ConfigError`` naming the store (none for a top-level field) and the field."""
    error = ConfigError(f"store {store!r}, field {field!r}: {message}" if store else f"field {field!r}: {message}")
    error.config_store = store  # type: ignore[attr-defined]
    error.field = field  # type: ignore[attr-defined]
    return error


def load_config(source: Source) -> dict[str, Any]:
    """Read a configuration file (or take a mapping) and check its shape and store references.

    A reference (in ``base`` or ``main``) holding ``${...}`` is checked once substituted, when
    ``load_store`` builds the store.
    """
    if isinstance(source, Mapping):
        data: Any = source
    else:
        path = os.fspath(source)
        try:
            with open(path, encoding="utf-8") as file:
                data = yaml.safe_load(file)
        except OSError as err:
            raise ConfigError(f"cannot read configuration {path!r}: {err.strerror or err}") from err
        except UnicodeDecodeError as err:
            raise ConfigError(f"configuration {path!r} is not UTF-8 text (byte {err.start}: {err.reason})") from err
        except yaml.YAMLError as err:
            raise ConfigError(f"configuration {path!r} is not valid YAML: {err}") from err
    if not isinstance(data, Mapping):
        raise ConfigError("a configuration is a mapping with 'stores' and 'main'")
    loop = _self_containing(data)
    if loop is not None:
        if len(loop) > 2 and loop[0] == "stores":
            raise _error(str(loop[1]), _field_path(loop[2:]), "contains itself (a recursive YAML alias)")
        raise _error("", _field_path(loop), "contains itself (a recursive YAML alias)")
    unknown = sorted(set(data) - set(TOP_LEVEL_FIELDS))
    if unknown:
        raise ConfigError(f"unknown top-level field {unknown[0]!r} (allowed: {', '.join(TOP_LEVEL_FIELDS)})")
    stores = data.get("stores")
    if not isinstance(stores, Mapping) or not stores:
        raise ConfigError("field 'stores' must be a mapping of store names to definitions")
    for name, definition in stores.items():
        if not isinstance(name, str):
            raise ConfigError(
                f"store name {name!r} is read by YAML as {type(name).__name__}, not as a string: "
                'quote it as written (e.g. "2024": or "on":)'
            )
        _check_definition(name, definition, stores)
    main = data.get("main")
    if main is not None and not (isinstance(main, str) and (main in stores or _substituted(main))):
        raise _no_store_for_main(main, stores)
    return dict(data)


def _no_store_for_main(main: Any, stores: Mapping[str, Any]) -> ConfigError:
    return ConfigError(f"field 'main': {main!r} names no store (stores: {', '.join(stores)})")


def _substituted(value: str) -> bool:
    """True if ``value`` holds ``${...}`` or ``$$``: its references are checked once substituted."""
    return _TOKEN.search(value) is not None


def _self_containing(data: Any) -> Optional[list[Any]]:
    """The path to a mapping or list that contains itself (a recursive YAML alias), if there is one."""
    inside: set[int] = set()
    stack: list[tuple[Any, list[Any], bool]] = [(data, [], False)]
    while stack:
        value, path, leaving = stack.pop()
        if leaving:
            inside.discard(id(value))
            continue
        if isinstance(value, Mapping):
            children = [(item, [*path, key]) for key, item in value.items()]
        elif isinstance(value, list):
            children = [(item, [*path, index]) for index, item in enumerate(value)]
        else:
            continue
        if id(value) in inside:
            return path
        inside.add(id(value))
        stack.append((value, path, True))
        stack.extend((item, item_path, False) for item, item_path in children)
    return None


def _field_path(path: list[Any]) -> str:
    """``config.a[0].b`` for the path ``["config", "a", 0, "b"]``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


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
    for keyword in BASE_KEYWORDS:
        if config is not None and keyword in config:
            raise _error(
                name, f"config.{keyword}",
                f"the stores a store wraps are given with 'base' (base: {config[keyword]!r}), not under 'config'",
            )
    for field, ref in _base_refs(definition.get("base", []), "base", name):
        if ref not in stores and not _substituted(ref):
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
    """What to build: stores in dependency order, with their classes, arguments and bases."""

    order: list[str]
    classes: dict[str, type]
    arguments: dict[str, dict[str, Any]]
    bases: dict[str, dict[str, Any]]


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


def _build_order(stores: Mapping[str, Any], root: str, base_of: Callable[[str], Any]) -> list[str]:
    """Stores reachable from ``root``, bases before the stores that use them; refuses cycles.

    ``base_of(name)`` is the store's substituted ``base`` (None if it has none).
    """
    order: list[str] = []
    done: set[str] = set()
    path: list[str] = []

    def visit(name: str) -> None:
        if name in done:
            return
        if name in path:
            cycle = " -> ".join([*path[path.index(name) :], name])
            raise ConfigError(f"Recursive store definition found -- {name} mentioned multiple times ({cycle})")
        path.append(name)
        base = base_of(name)
        if base is not None:
            for _, ref in _base_refs(base, "base", name):
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


def _plan(stores: Mapping[str, Any], root: str, registry: Registry, substitute: _Substituter) -> _Plan:
    bases: dict[str, Any] = {}

    def base_of(name: str) -> Any:
        if name not in bases:
            definition = stores[name]
            base = substitute(definition["base"], name, "base") if "base" in definition else None
            if base is not None:
                for field, ref in _base_refs(base, "base", name):
                    if ref not in stores:
                        raise _error(name, field, f"names no store: {ref!r}")
            bases[name] = base
        return bases[name]

    order = _build_order(stores, root, base_of)
    classes: dict[str, type] = {}
    arguments: dict[str, dict[str, Any]] = {}
    base_arguments: dict[str, dict[str, Any]] = {}
    for name in order:
        definition = stores[name]
        type_name = substitute(definition["type"], name, "type")
        try:
            classes[name] = registry.load(type_name)
        except ConfigError as err:
            raise _error(name, "type", str(err)) from err
        raw = dict(definition.get("config") or {})
        values = substitute(raw, name, "config")
        base_values = _base_arguments(bases[name]) if bases[name] is not None else {}
        overlap = sorted(set(values) & set(base_values))
        if overlap:
            raise _error(name, f"config.{overlap[0]}", "is also given by 'base'")
        _check_arguments(name, classes[name], {**values, **base_values}, set(base_values))
        base_classes = [classes[ref] for _, ref in _base_refs(bases[name] or [], "base", name)]
        _check_kinds(name, classes[name], base_classes)
        arguments[name] = _convert_strings(name, classes[name], values, raw)
        base_arguments[name] = base_values
    return _Plan(order, classes, arguments, base_arguments)


#: The scalar types a string argument is converted to, by the name written in an annotation.
_SCALARS: dict[str, type] = {"bool": bool, "int": int, "float": float}
_BOOLEANS = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}
_EXPECTED = {
    bool: "a boolean (true/false, yes/no, on/off, 1/0)",
    int: "an integer",
    float: "a number",
}


def _scalar_type(annotation: Any) -> Optional[type]:
    """``bool``, ``int`` or ``float`` if ``annotation`` is one of them (or Optional of one), else None.

    Reads both annotation objects and the strings ``from __future__ import annotations`` leaves.
    """
    if isinstance(annotation, str):
        names = {part.strip().rpartition(".")[2] for part in re.split(r"[\[\],|]", annotation)}
        names -= {"", "Optional", "Union", "None"}
        return _SCALARS.get(names.pop()) if len(names) == 1 else None
    origin = typing.get_origin(annotation)
    union = origin is Union or (origin is not None and origin is getattr(types, "UnionType", None))
    members = [arg for arg in (typing.get_args(annotation) if union else (annotation,)) if arg is not type(None)]
    return members[0] if len(members) == 1 and members[0] in (bool, int, float) else None


def _convert_strings(name: str, cls: type, values: dict[str, Any], raw: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with each string for a ``bool``/``int``/``float`` parameter of ``cls`` converted.

    ``${VAR}`` substitution gives strings: ``fsync: "${FSYNC:-false}"`` must not pass "false".
    """
    strings = [argument for argument, value in values.items() if isinstance(value, str)]
    if not strings:
        return values
    hints = parameter_annotations(cls)
    converted = dict(values)
    for argument in strings:
        kind = _scalar_type(hints.get(argument))
        if kind is None:
            continue
        text = values[argument].strip()
        try:
            converted[argument] = _BOOLEANS[text.lower()] if kind is bool else kind(text)
        except (KeyError, ValueError):
            written = raw.get(argument)
            shown = repr(written) if written == values[argument] else f"{written!r} (once substituted)"
            raise _error(name, f"config.{argument}", f"{shown} is not {_EXPECTED[kind]}") from None
    return converted


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


def _construct(plan: _Plan, registry: Registry) -> Any:
    built: dict[str, Any] = {}
    try:
        for name in plan.order:
            kwargs = dict(plan.arguments[name])
            kwargs.update({key: _resolve_bases(value, built) for key, value in plan.bases[name].items()})
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
    stores = config["stores"]
    registry = registry or default_registry()
    registry.check_plugins()
    substitute = _Substituter(os.environ if environ is None else environ, registry.resolvers)
    if name is None:
        main = config.get("main")
        if main is None:
            raise ConfigError("no store named and the configuration has no 'main'")
        name = substitute(main, "", "main")
        if name not in stores:
            raise _no_store_for_main(main if name == main else f"{main} -> {name}", stores)
    elif name not in stores:
        raise ConfigError(f"no store named {name!r} (stores: {', '.join(stores)})")
    plan = _plan(stores, name, registry, substitute)
    return _construct(plan, registry)
