"""Notices in bulk: a platform's or brand owner's thousands of listings in one request (API batch, CSV upload).

Each item is a notice (the fields of ``POST /cases``), checked by the same ``services.check_notice``. Items of
one right holder that say the same thing against the same seller (everything but their listings is equal, so
one jurisdiction, procedure and right) open ONE case with all their listings, up to the per-notice limit of
``services.MAX_LISTINGS``; past it, the next case of the same group opens.

Items are read and checked ``CHUNK_ITEMS`` at a time, and a group stays open across chunks: its case opens once,
with all its listings, when no further listing fits (the limit of a notice) or when the batch is read to its
end, so a batch that interleaves its sellers opens one case per seller, not one per seller per chunk. What is
written is committed every ``CHUNK_ITEMS`` items or so (a case is never split): an item is acknowledged only
once committed, and a failure loses at most what was not committed yet (its items answer nothing; the retry
files them).

Idempotency, through the shared ``idempotent_requests`` records: an item with an ``item_key`` is filed once
for that key (a retry answers the same case; the same key with another item is refused for that item); an
item without one, in a request with an ``Idempotency-Key``, is keyed by that key and its position.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import IO, Any

from flask_babel import format_number
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from odr.accounts.models import Account, Party
from odr.cases.models import Case
from odr.cases.services import (
    MAX_LISTINGS,
    NoticeDraft,
    Upload,
    check_notice,
    check_notifier,
    check_other_listings,
    discard,
    open_case,
    refuse_notice,
    store_documents,
)
from odr.cases.signals import notice_screening
from odr.domain_events import commit
from odr.errors import ServiceError, ValidationFailed
from odr.evidence import storage
from odr.extensions import db
from odr.extensions import gettext as _
from odr.idempotency import Submission
from odr.models_base import utcnow
from odr.procedure.services import enter_state
from odr.vocabulary import CaseRole

MAX_ITEMS = 10_000
CHUNK_ITEMS = 500
MAX_ITEM_KEY = 100
_ITEM_KEY_PREFIX = "item:"


@dataclass
class Item:
    """One item as received: its position (``line`` for NDJSON and CSV), its data, or why it could not be read."""

    index: int
    line: int | None
    data: Any
    unreadable: ServiceError | None = None
    # Files for the notice's file elements, by element name (a CSV row's cell names a file uploaded with it).
    element_files: dict[str, Upload] = field(default_factory=dict)


@dataclass
class ItemResult:
    index: int
    line: int | None
    item_key: str | None
    status: str = "refused"  # created | replayed | refused
    case_id: int | None = None
    error: dict | None = None


@dataclass
class Group:
    """Items that open one case together: the first one's draft, everybody's listings."""

    draft: NoticeDraft
    results: list[ItemResult] = field(default_factory=list)
    keys: list[Submission] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    full: bool = False  # no further listing fits: its case can open

    @property
    def listings(self) -> int:
        return len(self.draft.listings)


@dataclass
class Planned:
    """What a chunk (or a preview) comes to: the groups to open, and each item's result so far."""

    results: list[ItemResult]
    groups: list[Group]


def too_many_items() -> ValidationFailed:
    return ValidationFailed(
        _("A batch holds at most %(n)s notices; split it into several requests.", n=format_number(MAX_ITEMS)),
        {"items": _("At most %(n)s items per batch.", n=format_number(MAX_ITEMS))},
        code="too_many_items",
    )


def _content_key(data: dict) -> str:
    """What decides the case an item belongs to: everything it says except its listings and its key."""
    rest = {k: v for k, v in data.items() if k not in ("listings", "item_key")}
    return hashlib.sha256(json.dumps(rest, sort_keys=True, default=str).encode()).hexdigest()


def _item_key(item: Item, data: dict, request_key: str | None) -> str | None:
    raw = data.get("item_key")
    if raw is None or raw == "":
        if request_key:
            digest = hashlib.sha256(request_key.encode()).hexdigest()[:32]
            return f"request:{digest}#{item.index}"
        return None
    if not isinstance(raw, str) or len(raw) > MAX_ITEM_KEY:
        raise ValidationFailed(
            _("The notice is incomplete. Please correct the marked fields."),
            {"item_key": _("An item key is text of at most %(n)s characters.", n=MAX_ITEM_KEY)},
        )
    return _ITEM_KEY_PREFIX + raw


class Planner:
    """Checks items one by one and groups them into cases, writing nothing.

    An item that says the same as one already checked (everything but its listings) is not checked again:
    its verdict is the same, and only its listings are read (``_parse_listings``, the single notice's check)."""

    def __init__(self, account: Account, at: datetime, *, count_refusals: bool = True):
        self.account = account
        self.at = at
        self.count_refusals = count_refusals  # a preview counts nothing in the filer's record
        self.known_sellers: dict[str, Party] = {}
        self.verdicts: dict[str, NoticeDraft | ValidationFailed] = {}
        self.open_groups: dict[str, Group] = {}  # by content, across chunks
        self.seen: set[str] = set()  # item keys of the batch so far

    def draft(self, item: Item, content: str) -> NoticeDraft:
        data = item.data
        verdict = self.verdicts.get(content)
        if verdict is None:
            try:
                verdict = check_notice(
                    self.account, data, self.at, known=self.known_sellers, element_files=item.element_files
                )
            except ValidationFailed as refusal:
                if "listings" in refusal.fields:
                    raise  # about this item's listings only: the next item with other listings is checked afresh
                self.verdicts[content] = refusal
                raise
            self.verdicts[content] = verdict
            return verdict
        if isinstance(verdict, ValidationFailed):
            raise verdict
        return check_other_listings(verdict, data, self.at)

    def plan(self, items: list[Item], request_key: str | None) -> Planned:
        """Each item's result and the groups these items began (a group begun earlier takes them too while its
        listings fit); replays answered from the records in one query."""
        results: list[ItemResult] = []
        keyed: list[tuple[ItemResult, Item, Submission]] = []
        for item in items:
            result = ItemResult(item.index, item.line, None)
            results.append(result)
            if item.unreadable is not None:
                result.error = item.unreadable.to_dict()["error"]
                continue
            if not isinstance(item.data, dict):
                result.error = ValidationFailed(
                    _("Each item must be a JSON object with the fields of a notice."), code="malformed_item"
                ).to_dict()["error"]
                continue
            try:
                key = _item_key(item, item.data, request_key)
            except ValidationFailed as refusal:
                result.error = refusal.to_dict()["error"]
                continue
            result.item_key = item.data.get("item_key") or None
            body = {k: v for k, v in item.data.items() if k != "item_key"}
            keyed.append((result, item, Submission.of(self.account.id, key, body)))
        records = Submission.recorded(self.account.id, [sub.key for _r, _i, sub in keyed if sub.key])
        groups: list[Group] = []
        for result, item, sub in keyed:
            try:
                if sub.key in self.seen:
                    raise ValidationFailed(
                        _("This item key appears twice in the batch."),
                        {"item_key": _("Give each item its own key.")},
                        code="duplicate_item_key",
                    )
                if sub.key:
                    self.seen.add(sub.key)
                previous = sub.answered_by(records.get(sub.key or ""), Case)
                if previous is not None:
                    result.status, result.case_id = "replayed", previous.result_id
                    continue
                content = _content_key(item.data)
                draft = self.draft(item, content)
            except ValidationFailed as refusal:
                result.error = refusal.to_dict()["error"]
                if self.count_refusals and refusal.code not in ("idempotency_key_reused", "duplicate_item_key"):
                    refuse_notice(self.account, item.data, refusal, self.at)
                continue
            group = self.open_groups.get(content)
            if group is None or group.listings + len(draft.listings) > MAX_LISTINGS:
                if group is not None:
                    group.full = True
                group = self.open_groups[content] = Group(replace(draft, listings=list(draft.listings)))
                groups.append(group)
            else:
                group.draft.listings.extend(draft.listings)
            result.status = "created"
            group.results.append(result)
            group.keys.append(sub)
            group.items.append(item)
        return Planned(results, groups)


def _chunks(items: Iterable[Item]) -> Iterator[list[Item]]:
    chunk: list[Item] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == CHUNK_ITEMS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass
class BatchResult:
    results: list[ItemResult]
    cases: dict[int, Case]  # by id, every case an item went to (created or replayed)


def file_notices(
    account: Account,
    items: Iterable[Item],
    *,
    request_key: str | None = None,
    at: datetime | None = None,
    count_refusals: bool = True,
) -> BatchResult:
    """File a batch of notices (see the module: groups across chunks, a commit about every ``CHUNK_ITEMS`` items
    written); each item's result (the case it went to, or its error).

    ``count_refusals=False``: the filer saw each item's errors in a preview and filed the others; the items
    left out are not refusals counted in its record (the web upload)."""
    check_notifier(account)
    at = at or utcnow()
    notice_screening.publish(account, at=at)
    writer = Writer(account, at, request_key, count_refusals)
    for chunk in _chunks(items):
        writer.take(chunk)
    writer.take([], last=True)
    case_ids = {r.case_id for r in writer.results.values() if r.case_id is not None}
    query = select(Case).where(Case.id.in_(case_ids)).options(selectinload(Case.listings))
    cases = {c.id: c for c in db.session.scalars(query)} if case_ids else {}
    return BatchResult([writer.results[index] for index in sorted(writer.results)], cases)


class Writer:
    """Plans a batch chunk by chunk and writes each group's case once the group is complete, committing every
    ``CHUNK_ITEMS`` items or so; what is not committed yet is planned again after a lost race."""

    def __init__(self, account: Account, at: datetime, request_key: str | None, count_refusals: bool):
        self.account, self.at, self.request_key, self.count_refusals = account, at, request_key, count_refusals
        self.planner = Planner(account, at, count_refusals=count_refusals)
        self.results: dict[int, ItemResult] = {}  # by the item's position
        self.waiting: list[Group] = []  # planned, their case not written yet
        self.uncommitted: list[Item] = []  # items whose result (a case, a refusal, a replay) is not committed

    def take(self, chunk: list[Item], *, last: bool = False) -> None:
        self.uncommitted += chunk
        try:
            self._plan_and_write(chunk, last)
        except IntegrityError:
            # Another request filed some of these items at the same moment: theirs stand, answered as replays.
            db.session.rollback()
            self.planner = Planner(self.account, self.at, count_refusals=self.count_refusals)
            self.waiting = []
            self._plan_and_write(sorted(self.uncommitted, key=lambda item: item.index), last)

    def _plan_and_write(self, items: list[Item], last: bool) -> None:
        planned = self.planner.plan(items, self.request_key)
        self.results.update((result.index, result) for result in planned.results)
        self.waiting += planned.groups
        written = 0
        stored: list[storage.StoredFile] = []
        try:
            for group in [group for group in self.waiting if last or group.full]:
                self._open(group, stored)
                self.waiting.remove(group)
                written += len(group.items)
                if written >= CHUNK_ITEMS:
                    self._commit()
                    written, stored = 0, []
            self._commit()  # the refusals and replays of the chunk too
        except BaseException:
            db.session.rollback()
            discard(stored)
            raise

    def _open(self, group: Group, stored: list[storage.StoredFile]) -> None:
        case, notice = open_case(self.account, group.draft, self.at)
        store_documents(case, notice, self.account, group.draft, "", stored)
        enter_state(case, case.state, self.at, actor=self.account, role=CaseRole.CLAIMANT, cause="notice")
        for result in group.results:
            result.case_id = case.id
        Submission.record_all([(sub, case) for sub in group.keys])

    def _commit(self) -> None:
        commit()
        waiting = {id(item) for group in self.waiting for item in group.items}
        self.uncommitted = [item for item in self.uncommitted if id(item) in waiting]


def preview(
    account: Account, items: Iterable[Item], at: datetime | None = None, *, request_key: str | None = None
) -> Planned:
    """What filing these items would do (the cases and each item's error, or the case an item was filed in
    already), writing nothing. Planned a chunk at a time as ``file_notices`` writes them, so it counts the
    cases filing will open."""
    check_notifier(account)
    at = at or utcnow()
    items = list(items)
    if len(items) > MAX_ITEMS:
        raise too_many_items()
    planner = Planner(account, at, count_refusals=False)
    planned = Planned([], [])
    try:
        for chunk in _chunks(items):
            part = planner.plan(chunk, request_key)
            planned.results.extend(part.results)
            planned.groups.extend(part.groups)
    finally:
        db.session.rollback()  # nothing of a preview stays (a new seller's party is never added)
    return planned


# -- reading a batch ------------------------------------------------------------------------------


def unreadable_line(line: int) -> ValidationFailed:
    return ValidationFailed(
        _("Line %(line)s is not a JSON object: each line of NDJSON holds one notice.", line=line),
        {"line": str(line)},
        code="malformed_line",
    )


def read_ndjson(stream: IO[bytes]) -> Iterator[Item]:
    """Items of an NDJSON body, one per non-blank line, read line by line.

    The body is first copied to a temporary file (in memory up to 1 MB, on disk past it) and its lines
    counted, so that a batch of too many items is refused before anything is written; then read back one
    line at a time: memory stays constant whatever the number of items."""
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as spool:
        # Copied in blocks (a WSGI input read line by line is read byte by byte), then counted from the copy.
        for block in iter(lambda: stream.read(1024 * 1024), b""):
            spool.write(block)
        spool.seek(0)
        if sum(1 for raw in spool if raw.strip()) > MAX_ITEMS:
            raise too_many_items()
        spool.seek(0)
        index = 0
        for number, raw in enumerate(spool, start=1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
            except (ValueError, RecursionError):
                yield Item(index, number, None, unreadable_line(number))
            else:
                yield Item(index, number, data, None if isinstance(data, dict) else unreadable_line(number))
            index += 1


def read_json_array(body: bytes) -> Iterator[Item]:
    """Items of a JSON array. Parsed whole: its size is bounded by the largest request the deployment takes
    (``MAX_UPLOAD_MB``); NDJSON is the streaming form for larger batches."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise ValidationFailed(_("The body is not valid JSON."), code="malformed_json") from None
    if not isinstance(data, list):
        raise ValidationFailed(
            _("Send a JSON array of notices, or NDJSON (one notice per line)."), code="malformed_json"
        )
    if len(data) > MAX_ITEMS:
        raise too_many_items()
    return (Item(index, None, item) for index, item in enumerate(data))


# -- a spreadsheet of listings (the web upload) ---------------------------------------------------

# The columns of a CSV row: the fields of a notice as the batch API takes them, nested ones by dotted name.
CSV_COLUMNS = (
    "item_key",
    "jurisdiction",
    "right_type",
    "title",
    "text",
    "language",
    "listings",
    "product_category",
    "remedy_sought",
    "target_market",
    "territories",
    "respondent.email",
    "respondent.name",
    "respondent.country",
    "respondent.language",
    "measure.kind",
    "measure.regions",
    "measure.element",
    "language_confirmed",
)
CSV_REQUIRED = ("jurisdiction", "right_type", "title", "text", "listings", "respondent.email")
CSV_ELEMENT_RE = re.compile(r"^elements\.[a-z][a-z0-9_]{0,63}$")
MAX_CSV_MB = 10
# A cell a spreadsheet would run as a formula when the data is opened in one again (CSV injection).
_FORMULA_START = ("=", "@", "+", "-", "\t", "\r")


def _csv_refusal(message: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, {"csv": message}, code=code)


def _no_rows() -> ValidationFailed:
    return _csv_refusal(
        _("The file holds no rows: the first line names the columns, each next line is a listing."), "csv_empty"
    )


def _delimiter(header: str) -> str:
    """Commas, or the semicolons or tabs a spreadsheet writes where the comma is the decimal sign."""
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: (counts[d], d == ","))


def _columns(header: list[str]) -> list[str]:
    names = [name.strip() for name in header]
    unknown = [n for n in names if n not in CSV_COLUMNS and not CSV_ELEMENT_RE.match(n)]
    twice = sorted({n for n in names if names.count(n) > 1})
    if unknown or twice:
        raise _csv_refusal(
            _(
                "The first line names columns this page does not know, or names one twice: %(columns)s.",
                columns=", ".join(dict.fromkeys(unknown + twice)) or "—",
            ),
            "csv_unknown_columns",
        )
    missing = [n for n in CSV_REQUIRED if n not in names]
    if missing:
        raise _csv_refusal(
            _("The file lacks required columns: %(columns)s.", columns=", ".join(missing)), "csv_missing_columns"
        )
    return names


def _csv_item(index: int, line: int, names: list[str], cells: list[str]) -> Item:
    """One row as a batch item: each non-empty cell under its column, dotted names nested (``respondent.email``)."""
    if len(cells) != len(names):
        refusal = ValidationFailed(
            _(
                "Line %(line)s has %(found)s cells where the first line names %(expected)s columns.",
                line=line,
                found=len(cells),
                expected=len(names),
            ),
            {"line": str(line)},
            code="malformed_row",
        )
        return Item(index, line, None, refusal)
    data: dict[str, Any] = {}
    for name, cell in zip(names, cells, strict=True):
        if cell.lstrip(" ").startswith(_FORMULA_START):
            refusal = ValidationFailed(
                _(
                    "Line %(line)s, column %(column)s: a cell may not begin with =, +, - or @, which a spreadsheet "
                    "runs as a formula.",
                    line=line,
                    column=name,
                ),
                {name: _("A cell may not begin with =, +, - or @.")},
                code="formula_cell",
            )
            return Item(index, line, None, refusal)
        if cell.strip() == "":
            continue
        head, _sep, tail = name.partition(".")
        if tail:
            data.setdefault(head, {})[tail] = cell
        else:
            data[name] = cell
    return Item(index, line, data)


def read_csv(content: bytes) -> list[Item]:
    """The rows of a spreadsheet saved as CSV (UTF-8; commas, semicolons or tabs), one listing per row.

    The whole file is refused, writing nothing, when it cannot be read as such (another encoding, a broken
    quote, no or unknown columns, too many rows); a row that cannot be read is an item with its error."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _csv_refusal(
            _("The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8” and upload it again."),
            "csv_encoding",
        ) from None
    if "\x00" in text:
        raise _csv_refusal(_("The file is not a CSV text file."), "csv_malformed")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise _no_rows()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(lines[0]), strict=True)
    items: list[Item] = []
    try:
        names = _columns(next(reader))
        line = reader.line_num
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(items) == MAX_ITEMS:
                raise _csv_refusal(
                    _("A file holds at most %(n)s rows; split it into several files.", n=format_number(MAX_ITEMS)),
                    "too_many_items",
                )
            items.append(_csv_item(len(items), start, names, cells))
    except csv.Error:
        raise _csv_refusal(
            _(
                "Line %(line)s cannot be read as CSV (a quote left open, or a cell longer than the limit).",
                line=reader.line_num,
            ),
            "csv_malformed",
        ) from None
    if not items:
        raise _no_rows()
    return items
