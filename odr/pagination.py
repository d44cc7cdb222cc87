"""Keyset (cursor) pagination for every list that can grow.

A page is read with ``WHERE (k1, k2) < (last k1, last k2) ORDER BY k1 DESC, k2 DESC LIMIT n+1`` on an
ordering that is unique (it ends with the id), so reading page 1,000 costs what page 1 does and a row
added or removed meanwhile neither repeats nor skips another. The cursor is the last row's key, opaque
to clients (base64url of its JSON); a cursor that does not decode is a clear 400, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Generic, TypeVar

from sqlalchemy import DateTime, Integer, Select, bindparam, literal, tuple_

from odr.errors import ValidationFailed
from odr.extensions import db
from odr.extensions import gettext as _

T = TypeVar("T")

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
DEFAULT_LIMIT = 50
MOST = 500


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None  # None: this is the last page


def encode_cursor(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


class RowId(int):
    """A cursor's id or sequence number: what an INTEGER column holds (32 bits on PostgreSQL). A number beyond
    is forged, and bound to its column it would fail in the database instead of as a bad cursor."""


class Micros(int):
    """A cursor's instant as whole microseconds since the epoch: one a ``datetime`` holds."""


# The values a cursor's number may take, by the type its key declares (any other whole number: 64 bits).
BOUNDS = {
    RowId: range(-(2**31), 2**31),
    Micros: range(
        (datetime.min.replace(tzinfo=timezone.utc) - EPOCH) // timedelta(microseconds=1),
        (datetime.max.replace(tzinfo=timezone.utc) - EPOCH) // timedelta(microseconds=1),
    ),
    int: range(-(2**63), 2**63),
}


def _bad_cursor() -> ValidationFailed:
    return ValidationFailed(
        _("This cursor is not one the server gave out; start again without a cursor."),
        {"cursor": _("Use the cursor of the previous page's next link.")},
        code="bad_cursor",
    )


def decode_cursor(cursor: str | None, types: Sequence[type]) -> list[Any] | None:
    """The key a cursor carries, each value of the given type (int, RowId, Micros, str, datetime); None: the first
    page."""
    if not cursor:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(types):
            raise ValueError
        values: list[Any] = []
        for value, kind in zip(raw, types, strict=True):
            if kind is datetime:
                parsed = datetime.fromisoformat(value)
                if parsed.tzinfo is None:
                    raise ValueError
                values.append(parsed)
            elif kind in BOUNDS:
                if not isinstance(value, int) or isinstance(value, bool) or value not in BOUNDS[kind]:
                    raise ValueError
                values.append(value)
            else:
                if not isinstance(value, str):
                    raise ValueError
                values.append(value)
        return values
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise _bad_cursor() from None


def check_limit(raw: str | None, default: int = DEFAULT_LIMIT, most: int = MOST) -> int:
    if raw in (None, ""):
        return default
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if not 1 <= limit <= most:
        raise ValidationFailed(
            _("The limit must be a whole number from 1 to %(most)s.", most=most),
            {"limit": _("From 1 to %(most)s.", most=most)},
            code="bad_limit",
        )
    return limit


def _python_type(column) -> type:
    kind = column.type
    impl = getattr(kind, "impl_instance", kind)  # a TypeDecorator (UTCDateTime) stores as its implementation
    if isinstance(kind, DateTime) or isinstance(impl, DateTime):
        return datetime
    if isinstance(impl, Integer):
        return RowId if type(impl) is Integer else int  # a BigInteger holds 64 bits
    return str


def keyset(
    query: Select,
    order: Sequence[Any],
    *,
    limit: int,
    cursor: str | None,
    descending: bool = True,
    rows: bool = False,
    key_of: Callable[[Any], Sequence[Any]] | None = None,
    params: Mapping[str, Any] | None = None,
) -> Page:
    """One page of ``query`` in the order of ``order`` (columns that together are unique, all one direction).

    ``rows``: the query selects several entities or columns (read with ``execute``, items are rows); ``key_of`` then
    says where an item's key is (by default the ordering columns' attributes of the item). ``params``: ``query`` is
    a statement built once with bind parameters, these their values; its page's statement is then built once too."""
    after = decode_cursor(cursor, [_python_type(c) for c in order])
    if params is not None:
        query = _page_statement(query, tuple(order), descending, limit, after is not None)
        bound_values = {**params, **{f"_after_{i}": v for i, v in enumerate(after or ())}}
    else:
        # Bound with each column's own type, so that a time compares as the column stores it.
        bound = None if after is None else [literal(v, type_=c.type) for v, c in zip(after, order, strict=True)]
        query, bound_values = _page_of(query, order, descending, limit, bound), {}
    if rows and params is not None and _columns_only(query):
        # Plain columns of a statement built once: read through the session's connection, without the ORM's work per
        # row (about half of reading a page's window of 50 rows). Flushed first, as the session's execute would.
        db.session.flush()
        found = list(db.session.connection().execute(query, bound_values).all())
    elif rows:
        # A comprehension, not list(): mypy 2.4.1 crashes inferring execute()'s overload inside list() here.
        found = [row for row in db.session.execute(query, bound_values)]
    else:
        found = list(db.session.scalars(query, bound_values))
    if len(found) <= limit:
        return Page(found, None)
    found = found[:limit]
    last = found[-1]
    values = key_of(last) if key_of else [getattr(last, c.key) for c in order]
    return Page(found, encode_cursor(values))


def _page_of(query: Select, order: Sequence[Any], descending: bool, limit: int, bound: list | None) -> Select:
    """``query`` ordered, limited to one page (and a row more) and, after a cursor (its values ``bound``), from there
    on."""
    if bound is not None:
        key = tuple_(*order) if len(order) > 1 else order[0]
        value = tuple_(*bound) if len(order) > 1 else bound[0]
        query = query.where(key < value if descending else key > value)
    return query.order_by(*(c.desc() if descending else c.asc() for c in order)).limit(limit + 1)


@lru_cache(maxsize=64)
def _page_statement(query: Select, order: tuple, descending: bool, limit: int, after: bool) -> Select:
    """``_page_of`` for a statement built once: the cursor's values bound by name (``_after_0``...), so each of its
    pages reads with one statement built, and its cache key made, once (building one costs about what sending it
    does)."""
    bound = [bindparam(f"_after_{i}", type_=c.type) for i, c in enumerate(order)] if after else None
    return _page_of(query, order, descending, limit, bound)


@lru_cache(maxsize=64)
def _columns_only(query: Select) -> bool:
    """Whether a statement selects columns only, no mapped entity (those are read as objects)."""
    return not any(isinstance(d["type"], type) for d in query.column_descriptions)


def keyset_list(
    items: Sequence[T], key: Callable[[T], tuple], types: Sequence[type], *, limit: int, cursor: str | None
) -> Page[T]:
    """The same pagination over a list already computed and sorted by ``key`` (ascending), for a view whose
    order is not a column (the desk's next deadline across several kinds of clocks)."""
    after = decode_cursor(cursor, types)
    rest = [item for item in items if after is None or tuple(key(item)) > tuple(after)]
    if len(rest) <= limit:
        return Page(list(rest), None)
    return Page(list(rest[:limit]), encode_cursor(key(rest[limit - 1])))


@dataclass(frozen=True)
class Pager:
    """The links of a list read in its own order that opens at its latest rows (a conversation, a timeline)."""

    earlier: str | None  # the cursor of the rows before these; None: these are the first
    later: str | None  # the cursor of the rows after these; None: these are the latest
    paged: bool  # these are not the latest rows (the page offers a way back to them)


def latest_window(
    query: Select,
    column: Any,
    *,
    limit: int,
    before: str | None = None,
    after: str | None = None,
    rows: bool = False,
    params: Mapping[str, Any] | None = None,
) -> tuple[list, Pager]:
    """``limit`` rows of ``query`` in ascending order of ``column`` (unique within the query: an id, a case's
    sequence number): the latest ones, those just before the cursor ``before``, or those just after ``after``.
    Each window costs what the latest does, however far back it is. ``rows``: the query selects columns (``column``
    among them), read as rows instead of objects. ``params``: ``query`` is built once, with these bound values (see
    ``keyset``)."""
    key_of = (lambda row: [getattr(row, column.key)]) if rows else None
    if after:
        page = keyset(
            query, [column], limit=limit, cursor=after, descending=False, rows=rows, key_of=key_of, params=params
        )
        items = page.items
        earlier = encode_cursor([getattr(items[0], column.key)]) if items else None
        return items, Pager(earlier=earlier, later=page.next_cursor, paged=True)
    page = keyset(query, [column], limit=limit, cursor=before, descending=True, rows=rows, key_of=key_of, params=params)
    items = page.items[::-1]
    later = encode_cursor([getattr(items[-1], column.key)]) if before and items else None
    return items, Pager(earlier=page.next_cursor, later=later, paged=before is not None)
