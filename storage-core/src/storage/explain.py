"""Show a built store tree: each store, its role, its settings and its capabilities.

``describe(store)`` returns the tree as plain data; ``explain(store)`` renders it as text::

    RoutingStore(match='glob')  [read, write, delete, listing]
    ├── routes['*.json']: JsonStore()  [read, write, delete, listing]
    │   └── store: DictStore()  [read, write, delete, listing]
    └── default: FilesystemStore('/data')  [read, write, delete, listing, native_range, ...]

A wrapper's children come from its ``wrapped()`` (``(role, store)`` pairs); an async store
backed by a sync one shows that store as ``sync_store``. A store met twice (a shared base) is
described in full the first time and marked ``shared`` after. Reprs are secret-free by rule;
anything in them that still looks like a secret (``password=...``, ``token=...``) is redacted.
"""

from __future__ import annotations

import re
from typing import Any, Optional

__all__ = ["children", "describe", "explain", "redact", "walk"]

#: ``name=value`` pairs whose name says the value is a secret.
_SECRET = re.compile(
    r"""(?P<name>\b[\w-]*(?:password|passwd|secret|token|credential|api_key|apikey|access_key|private_key)[\w-]*)"""
    r"""(?P<sep>\s*[=:]\s*)(?P<value>'[^']*'|"[^"]*"|[^\s,)>\]]+)""",
    re.IGNORECASE,
)
REDACTED = "'***'"


def redact(text: str) -> str:
    """``text`` with the value of every secret-looking ``name=value`` replaced by ``'***'``."""
    return _SECRET.sub(lambda match: f"{match['name']}{match['sep']}{REDACTED}", text)


def _label(store: Any) -> str:
    """The store's own part of its repr: ``PrefixStore('p/')`` rather than the whole chain."""
    repr_args = getattr(store, "repr_args", None)
    if callable(repr_args) and callable(getattr(store, "wrapped", None)):
        return f"{type(store).__name__}({repr_args()})"
    if hasattr(store, "sync_store"):
        return f"{type(store).__name__}()"
    return repr(store)


def children(store: Any) -> list[tuple[str, Any]]:
    """The stores directly below ``store`` as ``(role, store)`` pairs (none for a leaf)."""
    wrapped = getattr(store, "wrapped", None)
    if callable(wrapped):
        return list(wrapped())
    inner = getattr(store, "sync_store", None)
    return [("sync_store", inner)] if inner is not None else []


def walk(store: Any) -> list[Any]:
    """Every distinct store of the tree below ``store`` (itself first), each once."""
    found: dict[int, Any] = {}
    pending = [store]
    while pending:
        current = pending.pop()
        if id(current) not in found:
            found[id(current)] = current
            pending.extend(child for _, child in reversed(children(current)))
    return list(found.values())


def _capabilities(store: Any) -> list[str]:
    capabilities = getattr(store, "capabilities", None)
    names = getattr(capabilities, "names", None)
    return list(names()) if callable(names) else []


def describe(store: Any, role: Optional[str] = None) -> dict[str, Any]:
    """The tree under ``store`` as plain data (JSON-ready).

    Each node: ``type``, ``repr`` (the store's own settings), ``capabilities`` (the names of the
    flags it has), ``role`` (its place in its parent, None at the root) and ``wrapped`` (its
    children, in the same shape); a store already described above has ``shared: True`` and no
    children.
    """
    return _describe(store, role, set())


def _describe(store: Any, role: Optional[str], seen: set[int]) -> dict[str, Any]:
    node: dict[str, Any] = {
        "role": role,
        "type": type(store).__name__,
        "repr": redact(_label(store)),
        "capabilities": _capabilities(store),
    }
    if id(store) in seen:
        node["shared"] = True
        return node
    seen.add(id(store))
    node["wrapped"] = [_describe(child, child_role, seen) for child_role, child in children(store)]
    return node


def explain(store: Any) -> str:
    """The tree under ``store`` as indented text, one store per line with its capabilities."""
    lines: list[str] = []
    _render(describe(store), "", "", lines)
    return "\n".join(lines)


def _render(node: dict[str, Any], lead: str, indent: str, lines: list[str]) -> None:
    role = f"{node['role']}: " if node["role"] is not None else ""
    shared = "  (shared, shown above)" if node.get("shared") else ""
    lines.append(f"{lead}{role}{node['repr']}  [{', '.join(node['capabilities'])}]{shared}")
    children = node.get("wrapped", [])
    for index, child in enumerate(children):
        last = index == len(children) - 1
        _render(child, indent + ("└── " if last else "├── "), indent + ("    " if last else "│   "), lines)
