"""Discovery of store types and the pluggy hooks (SPEC §6).

Store types are entry points in the group ``storage.backends``: the entry-point name is the YAML
``type``, its value ``module:Class``. Metadata is read once; a class is imported only when its
type is asked for. Hook plugins are entry points in ``storage.plugins``, loaded into a pluggy
``PluginManager`` the first time a configuration needs them; with no hook plugin installed (or
given), pluggy is never imported. ``hookspec``, ``hookimpl`` and ``HookSpecs`` live in
``storage.hooks`` and are re-exported here on first access.
"""

from __future__ import annotations

import importlib
import re
import sys
import threading
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, NamedTuple, Optional, Sequence, Union

from storage import _discovery
from storage._base import AsyncObjectStore, ObjectStore
from storage.errors import ConfigError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint as MetadataEntryPoint

    import pluggy

    from storage._discovery import InstalledEntryPoint

    EntryPoint = Union[MetadataEntryPoint, InstalledEntryPoint]

    from storage.hooks import HookSpecs, hookimpl, hookspec

__all__ = [
    "BACKENDS_GROUP",
    "FIRST_PARTY_TYPES",
    "PLUGINS_GROUP",
    "HookSpecs",
    "Registry",
    "TypeInfo",
    "default_registry",
    "hookimpl",
    "hookspec",
    "import_store_class",
]

BACKENDS_GROUP = "storage.backends"
PLUGINS_GROUP = "storage.plugins"

_DISTRIBUTION_TYPES = {
    "storage-core": ["DictStore", "FilesystemStore", "HashdirStore"],
    "storage-sqlite": ["SqliteStore"],
    "storage-zip": ["ZipStore"],
    "storage-s3": ["BucketStore"],
    "storage-utils": [
        "IdentityStore", "ReadonlyStore", "WriteonlyStore", "MirroringStore", "AsyncFanoutStore",
        "CachingStore", "NotifyingStore", "LoggingStore", "ExceptionLoggingStore",
        "TransformingStore", "TextEncodingStore", "GzipStore", "BufferStore", "Base64Store",
        "JsonStore", "KeyTransformingStore", "KeyValidatingStore", "RegexValidatingStore",
        "UrlValidatingStore", "PrefixStore", "HashPrefixStore", "UrlEncodingStore",
        "RegexRoutingStore", "RetryStore", "TimeoutStore", "ConcurrencyLimitStore",
        "MetricsStore", "RoutingStore", "EncryptingStore",
    ],
}

#: First-party type name -> the distribution that provides it (for install hints). Each name of
#: ``_DISTRIBUTION_TYPES`` stands for itself and its ``Async`` twin, unless it is async already.
FIRST_PARTY_TYPES: Mapping[str, str] = MappingProxyType(
    {
        name: dist
        for dist, names in _DISTRIBUTION_TYPES.items()
        for base in names
        for name in ((base,) if base.startswith("Async") else (base, f"Async{base}"))
    }
)

_SEPARATORS = re.compile(r"[-_.]+")


def _normalized(distribution: str) -> str:
    """A distribution name as packaging compares it (``Storage_Utils`` is ``storage-utils``)."""
    return _SEPARATORS.sub("-", distribution).lower()


_HOOK_NAMES = ("HookSpecs", "hookimpl", "hookspec")


def __getattr__(name: str) -> Any:
    """Import ``hookspec``, ``hookimpl`` and ``HookSpecs`` from ``storage.hooks`` when first used."""
    if name in _HOOK_NAMES:
        from storage import hooks

        return getattr(hooks, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class TypeInfo(NamedTuple):
    """One registered store type."""

    name: str
    value: str
    distribution: str
    version: str
    source: str = "entry point"


def _distribution_of(entry_point: EntryPoint, known: dict[int, tuple[str, str]]) -> tuple[str, str]:
    """The name and version of the distribution behind ``entry_point``.

    ``known`` caches them by distribution object for one pass over entry points (kept alive by
    them): reading a distribution's metadata parses its METADATA file, milliseconds each time.
    """
    dist = getattr(entry_point, "dist", None)
    if dist is None:
        return "unknown distribution", ""
    found = known.get(id(dist))
    if found is None:
        metadata = dist.metadata
        found = known[id(dist)] = (metadata["Name"] or dist.name, metadata["Version"])
    return found


def _importlib_entry_points(groups: Sequence[str]) -> dict[str, list[MetadataEntryPoint]]:
    """The entry points of ``groups`` as ``importlib.metadata`` finds them (archives, custom finders)."""
    if sys.version_info >= (3, 10):
        from importlib.metadata import entry_points
    else:  # pragma: no cover - exercised on 3.9 only
        from importlib_metadata import entry_points
    installed = entry_points()
    return {group: list(installed.select(group=group)) for group in groups}


def import_store_class(reference: str, what: str = "type") -> type:
    """Import ``module:Class`` and return it if it is an ObjectStore or AsyncObjectStore subclass.

    Anything else (a function, a module attribute that is not a store class) is a ``ConfigError``,
    so a configuration can never call arbitrary code.
    """
    module_name, sep, attribute = reference.partition(":")
    if not sep or not module_name or not attribute:
        raise ConfigError(f"{what} {reference!r} is not of the form package.module:Class")
    try:
        module = importlib.import_module(module_name)
    except Exception as err:
        raise ConfigError(f"{what} {reference!r}: cannot import {module_name!r}: {err}") from err
    target: Any = module
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ConfigError(f"{what} {reference!r}: {module_name!r} has no attribute {attribute!r}") from None
    cls = _as_store_class(target)
    if cls is None:
        raise ConfigError(
            f"{what} {reference!r} is not an ObjectStore or AsyncObjectStore subclass"
        )
    return cls


def _as_store_class(target: Any) -> Optional[type]:
    """``target`` if it is an ObjectStore or AsyncObjectStore subclass, else None."""
    if isinstance(target, type) and issubclass(target, (ObjectStore, AsyncObjectStore)):
        return target
    return None


def _checked_loader(info: TypeInfo, load: Callable[[], Any]) -> Callable[[], type]:
    """``load``, with a failure or anything but a store class a ``ConfigError`` naming ``info``'s distribution."""

    def checked() -> type:
        try:
            loaded = load()
        except Exception as err:
            origin = f"{info.distribution} {info.version}".rstrip()
            raise ConfigError(
                f"type {info.name!r} from {origin} failed to import ({info.value}): {type(err).__name__}: {err}"
            ) from err
        cls = _as_store_class(loaded)
        if cls is None:
            raise ConfigError(f"type {info.name!r} from {info.distribution} ({info.value}) is not a store class")
        return cls

    return checked


def _reference_of(target: Any) -> str:
    """``module:QualifiedName`` of a class (or function), else its repr."""
    module, qualname = getattr(target, "__module__", None), getattr(target, "__qualname__", None)
    if isinstance(module, str) and isinstance(qualname, str):
        return f"{module}:{qualname}"
    return repr(target)


class _Contribution(NamedTuple):
    info: TypeInfo
    load: Callable[[], type]


class _HookPlugin(NamedTuple):
    """A loaded hook plugin: the object, its name in the plugin manager, what messages call it, who provides it."""

    plugin: Any
    name: str
    label: str
    distribution: str
    version: str


class Registry:
    """Store types and hook plugins, read lazily from installed distributions.

    ``entry_points`` and ``plugins`` replace discovery (for tests or embedding); by default the
    installed ``storage.backends`` and ``storage.plugins`` entry points are used.
    """

    def __init__(self, entry_points: Optional[Sequence[EntryPoint]] = None, plugins: Optional[Sequence[Any]] = None):
        self.entry_points = entry_points
        self.plugins = plugins
        self._lock = threading.RLock()
        self._types: Optional[dict[str, list[_Contribution]]] = None
        self._loaded: dict[str, type] = {}
        self._manager: Optional[pluggy.PluginManager] = None
        self._hook_plugin_list: Optional[list[_HookPlugin]] = None
        self._installed: Optional[Mapping[str, Sequence[EntryPoint]]] = None
        self._plugin_failures: list[str] = []

    def __repr__(self) -> str:
        return f"Registry(entry_points={self.entry_points!r}, plugins={self.plugins!r})"

    # Store types --------------------------------------------------------------------------

    def _backend_entry_points(self) -> Iterable[EntryPoint]:
        if self.entry_points is not None:
            return self.entry_points
        return self._installed_entry_points(BACKENDS_GROUP)

    def _installed_entry_points(self, group: str) -> Iterable[EntryPoint]:
        """The installed entry points of ``group``; every distribution is read once for all groups."""
        with self._lock:
            if self._installed is None:
                groups = (BACKENDS_GROUP, PLUGINS_GROUP)
                found = _discovery.scan(groups)
                self._installed = found if found is not None else _importlib_entry_points(groups)
            return self._installed[group]

    def _contributions(self) -> dict[str, list[_Contribution]]:
        with self._lock:
            if self._types is None:
                types: dict[str, list[_Contribution]] = {}
                seen = set()
                known: dict[int, tuple[str, str]] = {}
                for entry_point in self._backend_entry_points():
                    dist, version = _distribution_of(entry_point, known)
                    if (entry_point.name, entry_point.value, dist) in seen:
                        continue
                    seen.add((entry_point.name, entry_point.value, dist))
                    info = TypeInfo(entry_point.name, entry_point.value, dist, version)
                    types.setdefault(entry_point.name, []).append(
                        _Contribution(info, _checked_loader(info, entry_point.load))
                    )
                self._types = types
            return self._types

    def _hook_contributions(self) -> dict[str, list[_Contribution]]:
        """The types ``storage_register_types`` implementations contribute, each with its plugin's distribution."""
        found: dict[str, list[_Contribution]] = {}
        hooks = self._hooks()
        if hooks is not None:
            owners = {p.name: (p.distribution, p.version) for p in self._loaded_hook_plugins()}
            for implementation in reversed(hooks.storage_register_types.get_hookimpls()):
                owner = owners.get(implementation.plugin_name, ("hook plugin", ""))
                offered = {"register": self._type_registrar(owner, found)}
                implementation.function(**{arg: offered[arg] for arg in implementation.argnames})
        return found

    @staticmethod
    def _type_registrar(
        owner: tuple[str, str], found: dict[str, list[_Contribution]]
    ) -> Callable[[str, Union[type, str]], None]:
        """The ``register`` given to a ``storage_register_types`` of ``owner`` (distribution, version)."""

        def register(name: str, target: Union[type, str]) -> None:
            if isinstance(target, str):
                value, load = target, (lambda: _discovery.load_reference(target))
            else:
                value, load = _reference_of(target), (lambda: target)
            info = TypeInfo(name, value, *owner, source="storage_register_types")
            found.setdefault(name, []).append(_Contribution(info, _checked_loader(info, load)))

        return register

    def types(self) -> Mapping[str, TypeInfo]:
        """Read-only view of every installed type, without importing any store module.

        A name that several distributions register maps to the first; ``conflicts()`` lists them.
        """
        merged = self._merged()
        return MappingProxyType({name: contributions[0].info for name, contributions in sorted(merged.items())})

    def conflicts(self) -> Mapping[str, list[TypeInfo]]:
        """Names registered more than once, with every registration."""
        return {name: [c.info for c in cs] for name, cs in self._merged().items() if len(cs) > 1}

    def _merged(self) -> dict[str, list[_Contribution]]:
        merged = {name: list(cs) for name, cs in self._contributions().items()}
        for name, contributions in self._hook_contributions().items():
            merged.setdefault(name, []).extend(contributions)
        return merged

    def load(self, name: str) -> type:
        """Return the store class registered as ``name`` (or named by ``module:Class``)."""
        if ":" in name:
            return import_store_class(name)
        with self._lock:
            if name in self._loaded:
                return self._loaded[name]
        contributions = self._merged().get(name)
        if not contributions:
            raise ConfigError(self._unknown_type_message(name))
        if len(contributions) > 1:
            sources = " and ".join(f"{c.info.distribution} ({c.info.value})" for c in contributions)
            raise ConfigError(f"type {name!r} is registered twice, by {sources}: uninstall one of them")
        cls = contributions[0].load()
        with self._lock:
            self._loaded[name] = cls
        return cls

    def _unknown_type_message(self, name: str) -> str:
        merged = self._merged()
        installed = sorted(merged)
        parts = [f"unknown store type {name!r}"]
        dist = FIRST_PARTY_TYPES.get(name)
        versions = {
            _normalized(c.info.distribution): c.info.version for contributions in merged.values() for c in contributions
        }
        if dist and _normalized(dist) in versions:
            parts = [f"type {name} is not in the installed {dist} {versions[_normalized(dist)]}".rstrip()]
        elif dist:
            parts = [f"type {name} is provided by {dist}: pip install {dist}"]
        else:
            import difflib

            close = difflib.get_close_matches(name, installed, n=1)
            if close:
                parts.append(f"did you mean {close[0]!r}?")
        parts.append(f"installed types: {', '.join(installed) or '(none)'}")
        return "; ".join(parts)

    # Hook plugins -------------------------------------------------------------------------

    def plugin_manager(self) -> pluggy.PluginManager:
        """The pluggy manager holding every ``storage.plugins`` plugin (loaded on first call)."""
        with self._lock:
            if self._manager is None:
                import pluggy

                from storage.hooks import HookSpecs

                manager = pluggy.PluginManager("storage")
                manager.add_hookspecs(HookSpecs)
                hook_plugins = self._loaded_hook_plugins()
                try:
                    for hook_plugin in hook_plugins:
                        manager.register(hook_plugin.plugin, name=hook_plugin.name)
                    manager.check_pending()
                except pluggy.PluginValidationError as err:
                    owner = next(p for p in hook_plugins if p.plugin is err.plugin)
                    raise ConfigError(f"{owner.label} is invalid: {err}") from err
                self._manager = manager
            return self._manager

    def check_plugins(self) -> None:
        """Load the hook plugins; one that is invalid (a misspelt hook) is a ``ConfigError`` naming it."""
        self._hooks()

    def _hooks(self) -> Any:
        """The manager's hook relay, or ``None`` when there is no hook plugin (pluggy stays unimported)."""
        with self._lock:
            if self._manager is None and not self._loaded_hook_plugins():
                return None
            return self.plugin_manager().hook

    def _loaded_hook_plugins(self) -> list[_HookPlugin]:
        with self._lock:
            if self._hook_plugin_list is None:
                self._hook_plugin_list = list(self._hook_plugins())
            return self._hook_plugin_list

    def _hook_plugins(self) -> Iterable[_HookPlugin]:
        if self.plugins is not None:
            return [
                _HookPlugin(plugin, f"plugin-{index}", f"hook plugin {index}", "hook plugin", "")
                for index, plugin in enumerate(self.plugins)
            ]
        loaded = []
        known: dict[int, tuple[str, str]] = {}
        for entry_point in self._installed_entry_points(PLUGINS_GROUP):
            dist, version = _distribution_of(entry_point, known)
            label = f"hook plugin {entry_point.name!r} from {dist} {version}".rstrip()
            try:
                loaded.append(_HookPlugin(entry_point.load(), f"{dist}:{entry_point.name}", label, dist, version))
            except Exception as err:
                self._plugin_failures.append(
                    f"{label} failed to import ({entry_point.value}): {type(err).__name__}: {err}; skipped"
                )
        return loaded

    def plugin_failures(self) -> list[str]:
        """One line for each hook plugin that failed to import (it was skipped), naming its distribution."""
        self._loaded_hook_plugins()
        return list(self._plugin_failures)

    def resolvers(self) -> dict[str, Callable[[str], str]]:
        """Value resolvers contributed by hook plugins, by scheme."""
        found: dict[str, Callable[[str], str]] = {}

        def register(scheme: str, resolve: Callable[[str], str]) -> None:
            if scheme in found:
                raise ConfigError(f"two plugins register the value resolver {scheme!r}")
            found[scheme] = resolve

        hooks = self._hooks()
        if hooks is not None:
            hooks.storage_register_resolvers(register=register)
        return found

    def wrap_built(self, name: str, store: Any) -> Any:
        """Pass ``store`` through every ``storage_store_built`` implementation in turn."""
        hooks = self._hooks()
        if hooks is None:
            return store
        caller = hooks.storage_store_built
        for implementation in reversed(caller.get_hookimpls()):
            offered = {"name": name, "store": store}
            replacement = implementation.function(**{arg: offered[arg] for arg in implementation.argnames})
            if replacement is not None:
                store = replacement
        return store


_default: Optional[Registry] = None
_default_lock = threading.Lock()


def default_registry() -> Registry:
    """The process-wide registry of installed types and plugins."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Registry()
        return _default
