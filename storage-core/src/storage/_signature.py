"""Parameters of a callable, read without importing ``inspect`` where that is safe.

``inspect`` costs milliseconds to import; the stores' base classes and the configuration loader
only need parameter names, kinds, whether each has a default, and annotations. Plain Python
functions (and classes whose constructor is a plain ``__init__``) are read from their code
object; anything else (builtins, partials, wrapped or re-signed callables, custom ``__new__`` or
metaclass ``__call__``) goes through ``inspect.signature``.
"""

from __future__ import annotations

from types import FunctionType
from typing import Any, NamedTuple, Optional

__all__ = [
    "KEYWORD_ONLY",
    "POSITIONAL_ONLY",
    "POSITIONAL_OR_KEYWORD",
    "VAR_KEYWORD",
    "VAR_POSITIONAL",
    "Parameter",
    "parameter_annotations",
    "parameters",
]

# The values of ``inspect.Parameter.kind`` (``inspect._ParameterKind``), which is an IntEnum.
POSITIONAL_ONLY = 0
POSITIONAL_OR_KEYWORD = 1
VAR_POSITIONAL = 2
KEYWORD_ONLY = 3
VAR_KEYWORD = 4

_CO_VARARGS = 0x04
_CO_VARKEYWORDS = 0x08


class Parameter(NamedTuple):
    """One parameter: its name, kind (one of the constants above) and whether it must be given."""

    name: str
    kind: int
    required: bool


def parameters(target: Any) -> Optional[list[Parameter]]:
    """Return the parameters of calling ``target`` (a class: of constructing it), or ``None``.

    ``None`` means the signature cannot be read, as when ``inspect.signature`` raises.
    """
    function = _plain_function(target)
    if function is None:
        return _inspected(target)
    found = _from_code(function)
    return found[1:] if isinstance(target, type) else found


def parameter_annotations(target: Any) -> dict[str, Any]:
    """Return the parameter annotations of calling ``target`` (a class: of constructing it), as written.

    Under ``from __future__ import annotations`` they are strings; nothing is evaluated.
    """
    function = _plain_function(target)
    if function is not None:
        return {name: value for name, value in function.__annotations__.items() if name != "return"}
    import inspect

    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return {}
    return {
        name: parameter.annotation
        for name, parameter in signature.parameters.items()
        if parameter.annotation is not parameter.empty
    }


def _plain_function(target: Any) -> Optional[FunctionType]:
    """The Python function whose code describes ``target``'s parameters, if that is all it takes."""
    if isinstance(target, type):
        if type(target).__call__ is not type.__call__ or "__signature__" in vars(target):
            return None
        init = _constructor(target)
        return init if isinstance(init, FunctionType) and _unwrapped(init) else None
    if type(target) is FunctionType and _unwrapped(target):
        return target
    return None


def _constructor(cls: type) -> Any:
    """The ``__init__`` that ``cls`` uses if no class defines ``__new__``; else ``None``."""
    init = None
    for klass in cls.__mro__[:-1]:
        if "__new__" in vars(klass):
            return None
        if init is None and "__init__" in vars(klass):
            init = vars(klass)["__init__"]
    return init


def _unwrapped(function: FunctionType) -> bool:
    return "__wrapped__" not in vars(function) and "__signature__" not in vars(function)


def _from_code(function: FunctionType) -> list[Parameter]:
    code = function.__code__
    names = code.co_varnames
    positional = code.co_argcount
    keyword_only = code.co_kwonlyargcount
    first_default = positional - len(function.__defaults__ or ())
    keyword_defaults = function.__kwdefaults__ or {}
    found = [
        Parameter(
            name,
            POSITIONAL_ONLY if index < code.co_posonlyargcount else POSITIONAL_OR_KEYWORD,
            index < first_default,
        )
        for index, name in enumerate(names[:positional])
    ]
    index = positional + keyword_only
    if code.co_flags & _CO_VARARGS:
        found.append(Parameter(names[index], VAR_POSITIONAL, False))
        index += 1
    found.extend(
        Parameter(name, KEYWORD_ONLY, name not in keyword_defaults)
        for name in names[positional : positional + keyword_only]
    )
    if code.co_flags & _CO_VARKEYWORDS:
        found.append(Parameter(names[index], VAR_KEYWORD, False))
    return found


def _inspected(target: Any) -> Optional[list[Parameter]]:
    import inspect

    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    return [
        Parameter(
            name,
            int(parameter.kind),
            parameter.default is parameter.empty
            and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD),
        )
        for name, parameter in signature.parameters.items()
    ]
