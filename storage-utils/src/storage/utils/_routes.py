"""What both routing twins share: patterns, the route of a key, listing ownership, capabilities.

Glob patterns match the whole key: ``*`` and ``?`` stay within one segment (they do not cross
``/``), ``**`` crosses segments, ``**/`` also matches no directory at all (``**/*.json`` matches
``a.json`` and ``x/y/a.json``), ``[abc]`` and ``[!abc]`` are character classes. Regex patterns
use ``re.search``, as ``RegexRoutingStore`` does: anchor them with ``^`` and ``$`` yourself.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Mapping, Optional

from storage.capabilities import Capabilities
from storage.errors import ConfigError, InvalidKey, UnsupportedOperation
from storage.validation import check_key

__all__ = ["MATCHES", "RouteTable", "RoutingRules", "glob_to_regex"]

MATCHES = ("glob", "regex")

#: The flags a routing store has when any route target has them; listing needs every target.
_ANY_TARGET = ("read", "write", "delete")

#: What a routing store hands to the key's store as such: ``copy`` and ``rename`` when both keys
#: go to one store (across stores they are derived: get, put, then delete for a rename).
_FORWARDED = frozenset({"stat", "get_range", "open_read", "open_write", "copy", "rename"})


def _character_class(pattern: str, start: int) -> tuple[str, int]:
    """The regex for the class opening at ``pattern[start] == "["`` and the index after it."""
    end = start + 1
    if end < len(pattern) and pattern[end] in "!^":
        end += 1
    if end < len(pattern) and pattern[end] == "]":
        end += 1
    end = pattern.find("]", end)
    if end < 0:
        return re.escape("["), start + 1
    body = pattern[start + 1 : end].replace("\\", "\\\\")
    if body[:1] in ("!", "^"):
        body = "^" + body[1:]
    return f"(?!/)[{body}]", end + 1


def glob_to_regex(pattern: str) -> str:
    """The regular expression (anchored at both ends) for a glob ``pattern``."""
    parts = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            parts.append(".*")
            index += 2
        elif pattern[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            parts.append("[^/]")
            index += 1
        elif pattern[index] == "[":
            regex, index = _character_class(pattern, index)
            parts.append(regex)
        else:
            parts.append(re.escape(pattern[index]))
            index += 1
    return "".join(parts) + r"\Z"


@dataclasses.dataclass(frozen=True)
class _Route:
    pattern: str
    regex: re.Pattern[str]
    store: Any


class RouteTable:
    """The routes in order, then the default: which store holds which key."""

    def __init__(self, routes: Mapping[str, Any], default: Any, match: str, wrap: Any) -> None:
        if match not in MATCHES:
            raise ConfigError(f"match must be one of {', '.join(MATCHES)}, not {match!r}")
        if not isinstance(routes, Mapping):
            raise ConfigError(f"routes must be a mapping of pattern to store, not {type(routes).__name__}")
        self.match = match
        self.routes = [self._route(pattern, wrap(store)) for pattern, store in routes.items()]
        self.default = None if default is None else wrap(default)
        if not self.routes and self.default is None:
            raise ConfigError("a routing store needs at least one route or a default")
        #: Each route's matching function (``match`` of an anchored glob, else ``search``) and store.
        self._matchers = [
            (route.regex.match if match == "glob" else route.regex.search, route.store) for route in self.routes
        ]

    def _route(self, pattern: Any, store: Any) -> _Route:
        if not isinstance(pattern, str):
            raise ConfigError(f"route patterns are str, not {type(pattern).__name__}")
        source = glob_to_regex(pattern) if self.match == "glob" else pattern
        try:
            return _Route(pattern, re.compile(source, re.S), store)
        except re.error as err:
            raise ConfigError(f"route {pattern!r} is not a valid regular expression: {err}") from err

    def owner(self, key: str) -> Optional[Any]:
        """The store that holds ``key``: the first matching route's, else the default (or None)."""
        for matches, store in self._matchers:
            if matches(key):
                return store
        return self.default

    def targets(self) -> list[tuple[str, Any]]:
        """Each distinct store once, as ``(role, store)``: ``routes['*.json']``, ``default``."""
        roles: dict[int, list[str]] = {}
        stores: dict[int, Any] = {}
        for route in self.routes:
            roles.setdefault(id(route.store), []).append(repr(route.pattern))
            stores.setdefault(id(route.store), route.store)
        pairs = [(f"routes[{', '.join(roles[ident])}]", store) for ident, store in stores.items()]
        if self.default is not None and id(self.default) not in stores:
            pairs.append(("default", self.default))
        elif self.default is not None:
            index = list(stores).index(id(self.default))
            pairs[index] = (f"{pairs[index][0]}+default", self.default)
        return pairs


class RoutingRules:
    """The routing twins' shared half: routing keys, ownership in listings, capabilities."""

    table: RouteTable
    store_name: str

    def wrapped(self) -> list[tuple[str, Any]]:
        """The distinct target stores, in route order, then the default."""
        return self.table.targets()

    def forwards(self, operation: str) -> bool:
        """Whether ``operation`` goes to the key's store (``copy``/``rename``: if both keys go to one)."""
        return operation in _FORWARDED

    @property
    def capabilities(self) -> Capabilities:
        """Read, write and delete if any target can (per key, the target decides); the rest if all can.

        ``put(if_absent=True)``, ``stat`` and ``get_range`` are forwarded, so they are native if
        every target's are; copies are native only with a single target.
        """
        stores = [store for _, store in self.wrapped()]
        flags = {name: any(getattr(s.capabilities, name) for s in stores) for name in _ANY_TARGET}
        return Capabilities(
            listing=all(s.capabilities.listing for s in stores),
            native_conditional_write=all(s.capabilities.native_conditional_write for s in stores),
            native_range=all(s.capabilities.native_range for s in stores),
            native_metadata=all(s.capabilities.native_metadata for s in stores),
            native_copy=len(stores) == 1 and stores[0].capabilities.native_copy,
            **flags,
        )

    def _target(self, key: Any, operation: str) -> Any:
        if key.__class__ is not str or not key:
            check_key(key, self.store_name, operation)
        store = self.table.owner(key)
        if store is None:
            raise InvalidKey("no route matches the key and there is no default", store=self.store_name,
                             operation=operation, key=key)
        return store

    def _shared_target(self, source: Any, target: Any, operation: str) -> Optional[Any]:
        """The store both keys go to, or None if they go to different stores."""
        store = self._target(source, operation)
        return store if self._target(target, operation) is store else None

    def _listing_targets(self, prefix: Any) -> list[Any]:
        if not isinstance(prefix, str):
            raise InvalidKey(f"prefixes are str, not {type(prefix).__name__}", store=self.store_name, operation="keys")
        if not self.capabilities.listing:
            cannot = [role for role, store in self.wrapped() if not store.capabilities.listing]
            raise UnsupportedOperation(f"{', '.join(cannot)} cannot list", store=self.store_name, operation="keys")
        return [store for _, store in self.wrapped()]

    def _owns(self, store: Any, key: str) -> bool:
        """Whether ``key``, listed by ``store``, is routed to ``store`` (else it is not ours)."""
        return self.table.owner(key) is store

    def repr_args(self) -> str:
        """How patterns match."""
        return f"match={self.table.match!r}"
