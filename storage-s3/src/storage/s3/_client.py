"""Set-up of the clients the stores create, shared by ``BucketStore`` and ``AsyncBucketStore``.

Each measure removes client-side work that a request does not need, and none changes what is
sent to be signed, what is retried or how errors are reported:

- ``tune_session``: timestamps in responses (``Last-Modified`` of every HEAD and GET) are
  parsed by the standard library where their format is the one S3 sends, instead of by
  ``dateutil`` (about 80 us a response); any other text goes to botocore's own parser.
- ``trim_endpoint_parameters``: botocore caches endpoint resolution on its parameters, and
  S3's ruleset declares ``Key``, ``Prefix`` and ``CopySource`` as parameters without any rule
  reading them, so every new key evaluated the whole ruleset again (about 200 us a request).
  Parameters that no rule mentions are left out of the cache key; those that a rule mentions,
  now or in a later ruleset, are kept.
- ``expect_header_remover``: a body that goes out with ``Expect: 100-continue`` costs a
  round trip before it is sent; the header is dropped for bodies at most ``largest`` bytes.
"""

from __future__ import annotations

import datetime
import re
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Iterable, Optional

from botocore.utils import parse_timestamp as botocore_parse_timestamp

__all__ = [
    "SMALL_BODY_SIZE", "expect_header_remover", "parse_timestamp", "trim_endpoint_parameters", "tune_session",
]

#: Bodies up to this many bytes are sent at once, without waiting for ``100 Continue``.
SMALL_BODY_SIZE = 1024 * 1024


def parse_timestamp(value: Any) -> datetime.datetime:
    """Return the aware datetime of an S3 timestamp (RFC 1123 ``... GMT`` or ISO 8601 ``...Z``).

    Other forms (epoch seconds, offsets, fractions the standard library does not read) are
    parsed by botocore's default parser.
    """
    if isinstance(value, str):
        try:
            if value.endswith(" GMT"):
                return parsedate_to_datetime(value)
            if value.endswith("Z"):
                return datetime.datetime.fromisoformat(value[:-1]).replace(tzinfo=datetime.timezone.utc)
        except (TypeError, ValueError):
            pass
    parsed: datetime.datetime = botocore_parse_timestamp(value)
    return parsed


def tune_session(botocore_session: Any) -> Any:
    """Make the clients of ``botocore_session`` (botocore's or aiobotocore's) parse timestamps faster; return it."""
    botocore_session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=parse_timestamp)
    return botocore_session


class _TrimmedProvider:
    """An endpoint provider that resolves (and caches) endpoints without the parameters no rule uses."""

    def __init__(self, provider: Any, unused: frozenset[str]) -> None:
        self._provider = provider
        self._unused = unused
        self.ruleset = provider.ruleset

    def resolve_endpoint(self, **params: Any) -> Any:
        """Resolve the endpoint of ``params`` less the unused ones."""
        for name in self._unused.intersection(params):
            del params[name]
        return self._provider.resolve_endpoint(**params)


def unused_parameters(ruleset: Any) -> frozenset[str]:
    """Return the names of the parameters that ``ruleset`` (its JSON form) declares but no rule mentions."""
    rules = repr(ruleset.get("rules", ()))
    declared: Iterable[str] = ruleset.get("parameters", {})
    return frozenset(name for name in declared if not re.search(rf"\b{re.escape(name)}\b", rules))


def trim_endpoint_parameters(client: Any, botocore_session: Any) -> None:
    """Resolve ``client``'s endpoints without the ruleset parameters that no rule uses.

    A client without a ruleset resolver of botocore's form is left as it is.
    """
    resolver: Any = getattr(client, "_ruleset_resolver", None)
    provider = getattr(resolver, "_provider", None)
    if provider is None or not hasattr(provider, "resolve_endpoint"):
        return
    model = client.meta.service_model
    ruleset = botocore_session.get_component("data_loader").load_service_model(
        model.service_name, "endpoint-rule-set-1", model.api_version
    )
    unused = unused_parameters(ruleset)
    if unused:
        resolver._provider = _TrimmedProvider(provider, unused)


def expect_header_remover(largest: Optional[int]) -> Callable[..., None]:
    """Return a ``before-send`` handler that drops ``Expect: 100-continue`` (for bodies up to ``largest`` bytes).

    The header is not signed, so removing it after signing is safe. With ``largest=None`` it is
    dropped from every request.
    """

    def drop(request: Any, **_: Any) -> None:
        if "Expect" not in request.headers:
            return
        if largest is not None:
            length = request.headers.get("Content-Length")
            if length is None or int(length) > largest:
                return
        del request.headers["Expect"]

    return drop
