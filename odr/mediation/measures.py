"""Proportionate measures: what the platform must do to each listing under an agreed settlement.

Beyond all-or-nothing: restore, take down, remove one element (a video's background
music), modify, keep visible but not purchasable in named regions, restore against a
counter-security. Agreed measures are ordered when the case settles; the platform
client reads them through the API and confirms each one. A measure not confirmed by
its time shows on the mediator's desk.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import Select, bindparam, insert, select

from odr.accounts.models import Account, Role
from odr.cases import events
from odr.cases.models import Case, Filing
from odr.cases.signals import settlement_reached
from odr.conduct.signals import account_measure_required, provisional_measure_required
from odr.errors import Forbidden, NotFound, ValidationFailed
from odr.extensions import db
from odr.extensions import gettext as _
from odr.extensions import lazy_gettext as _l
from odr.mediation.models import Measure, MeasureKind, MeasureStatus
from odr.mediation.signals import measures_ordered
from odr.models_base import utcnow
from odr.notifications.deliveries import serve
from odr.procedure.services import carry_out, measures_standing
from odr.procedure.signals import measures_required
from odr.validation import check_country, clean_text
from odr.vocabulary import CaseRole, EventKind

ACCOUNT_KINDS = {MeasureKind.SUSPEND_ACCOUNT, MeasureKind.TERMINATE_ACCOUNT, MeasureKind.REINSTATE_ACCOUNT}
# How long the platform has to confirm that it applied an agreed measure.
CONFIRMATION_PERIOD = timedelta(hours=48)

MEASURE_TITLES = {
    MeasureKind.RESTORE: _l("Restore the listing"),
    MeasureKind.TAKE_DOWN: _l("Take the listing down"),
    MeasureKind.REMOVE_ELEMENT: _l("Remove one element"),
    MeasureKind.MODIFY: _l("Modify the listing"),
    MeasureKind.NOT_PURCHASABLE_IN: _l("Visible but not purchasable in these regions"),
    MeasureKind.RESTORE_AGAINST_SECURITY: _l("Restore against a counter-security"),
    MeasureKind.SUSPEND_ACCOUNT: _l("Suspend the seller's account"),
    MeasureKind.TERMINATE_ACCOUNT: _l("Terminate the seller's account"),
    MeasureKind.REINSTATE_ACCOUNT: _l("Reinstate the seller's account"),
}
# What an agreed listing term (odr.cases.services.LISTING_MEASURES) orders on every listing once the case settles
# on it; "keep" orders nothing of its own: the listings stay or go back online (``order_measures``).
AGREED_MEASURES: dict[str, MeasureKind | None] = {
    "remove": MeasureKind.TAKE_DOWN,
    "modify": MeasureKind.MODIFY,
    "geo_restrict": MeasureKind.NOT_PURCHASABLE_IN,
    "keep": None,
}
# Kinds a settlement may agree on: account-level measures come only from the conduct policy.
LISTING_KINDS = [k for k in MeasureKind if k not in ACCOUNT_KINDS]
# Agreed measures that keep a listing offline for now (restored against a security only once it is posted): a
# settlement that names one of them for a listing keeps the procedure's takedown standing.
KEEP_OFFLINE = {MeasureKind.TAKE_DOWN.value, MeasureKind.RESTORE_AGAINST_SECURITY.value}


def measure_title(kind: str) -> str:
    return str(MEASURE_TITLES[MeasureKind(kind)])


def parse_measures(raw, case: Case, fields: dict) -> list[dict]:
    """Validate the measures of a settlement: each names a listing of the case and what is done to it."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or len(raw) > 100:
        fields["measures"] = _("Measures must be a list (at most 100).")
        return []
    listings = {item.locator for item in case.listings}
    measures = []
    for i, item in enumerate(raw):
        where = f"measures.{i}"
        if not isinstance(item, dict):
            fields[where] = _("Each measure must be an object with a kind and a listing.")
            continue
        try:
            kind = MeasureKind(item.get("kind"))
            if kind in ACCOUNT_KINDS:
                raise ValueError
        except ValueError:
            fields[f"{where}.kind"] = _("Choose one of: %(kinds)s.", kinds=", ".join(k.value for k in LISTING_KINDS))
            continue
        if item.get("listing") not in listings:
            fields[f"{where}.listing"] = _("Name one of the case's listings.")
            continue
        measure = {"kind": kind.value, "listing": item["listing"]}
        if kind == MeasureKind.REMOVE_ELEMENT:
            measure["element"] = clean_text(item.get("element"), fields, f"{where}.element", max_length=500)
        if kind == MeasureKind.MODIFY:
            measure["instructions"] = clean_text(
                item.get("instructions"), fields, f"{where}.instructions", max_length=2000
            )
        if kind == MeasureKind.NOT_PURCHASABLE_IN:
            regions = item.get("regions")
            if not isinstance(regions, list) or not regions:
                fields[f"{where}.regions"] = _("Name the regions (two-letter country codes).")
                continue
            measure["regions"] = sorted(
                {check_country(r if isinstance(r, str) else "", fields, f"{where}.regions") for r in regions}
            )
        if kind == MeasureKind.RESTORE_AGAINST_SECURITY:
            try:
                amount = Decimal(str(item.get("security_amount")))
                if not amount.is_finite() or amount <= 0:
                    raise InvalidOperation
                measure["security_amount"] = str(amount.quantize(Decimal("0.01")))
            except (InvalidOperation, ValueError):
                fields[f"{where}.security_amount"] = _("Enter the security as a positive amount.")
            currency = str(item.get("currency") or "").upper()
            if len(currency) != 3 or not currency.isalpha():
                fields[f"{where}.currency"] = _("Enter a three-letter currency code such as EUR.")
            measure["currency"] = currency
        measures.append(measure)
    return measures


def order(case: Case, items: list[dict], at: datetime, *, ground: str, filing: Filing | None = None) -> list[Measure]:
    """Order measures from the platform (in the caller's transaction); each item has kind and listing."""
    rows = [
        dict(
            case_id=case.id,
            filing_id=filing.id if filing else None,
            ground=ground[:300],
            listing=item["listing"],
            kind=MeasureKind(item["kind"]),
            details={k: v for k, v in item.items() if k not in {"kind", "listing"}},
            ordered_at=at,
            confirm_by=at + CONFIRMATION_PERIOD,
            status=MeasureStatus.PENDING,
            platform_reference="",
        )
        for item in items
    ]
    ordered: list[Measure] = []
    if rows:
        # One INSERT for all the listings (a bulk notice names hundreds), not one each. The ids come back in any
        # order; a single statement numbers its rows in their order (SQLite's rowid, PostgreSQL's sequence), so
        # in ascending order they are the items' order, the order the event and the platform's channel list.
        ordered = sorted(db.session.scalars(insert(Measure).returning(Measure), rows).all(), key=lambda m: m.id)
        events.record(
            case,
            EventKind.MEASURES_ORDERED,
            at,
            payload={
                "filing_id": filing.id if filing else None,
                "ground": ground[:300],
                "measure_ids": [m.id for m in ordered],
                "confirm_by": (at + CONFIRMATION_PERIOD).isoformat(),
            },
        )
        measures_ordered.publish(case, measures=ordered, at=at)
    return ordered


@settlement_reached.in_transaction.connect
def _on_settlement(case: Case, *, proposal: Filing, at: datetime, **_data) -> None:
    order_measures(case, proposal, at)  # the agreed measures go to the platform


@measures_required.in_transaction.connect
def _on_procedure_measure(
    case: Case, *, at: datetime, measure: str, ground: str, requested: dict | None = None, **_data
) -> None:
    if requested:
        # The notice asked for a proportionate measure its procedure allows: that one goes to the platform,
        # with its regions or element and the rule that allows it.
        details = {k: v for k, v in requested.items() if k != "kind"}
        items = [{"kind": requested["kind"], "listing": item.locator, **details} for item in case.listings]
        order(case, items, at, ground=ground)
        return
    order_on_every_listing(case, MeasureKind(measure), at, ground=ground)


@provisional_measure_required.in_transaction.connect
def _on_provisional_measure(case: Case, *, at: datetime, measure: str, ground: str, **_data) -> None:
    order_on_every_listing(case, MeasureKind(measure), at, ground=ground)


@account_measure_required.in_transaction.connect
def _on_account_measure(case: Case, *, at: datetime, kind: str, party, ground: str, details: dict, **_data) -> None:
    """A conduct measure on a seller's whole account joins the platform's channel like any other measure."""
    target = f"seller:{party.contact_email or party.id}"
    order(
        case,
        [{"kind": kind, "listing": target, "scope": "account", "seller": party.name, "party_id": party.id, **details}],
        at,
        ground=ground,
    )


def agreed_measures(case: Case, settlement: Filing) -> list[dict]:
    """What a settlement orders from the platform: the measures it names listing by listing, or else its listing
    term (an accepted offer's, blind bidding's) on every listing of the case."""
    terms = settlement.terms or {}
    if terms.get("measures"):
        return list(terms["measures"])
    kind = AGREED_MEASURES.get(terms.get("listing_measure") or "")
    if kind is None:
        return []
    details: dict = {}
    if kind == MeasureKind.NOT_PURCHASABLE_IN:
        details["regions"] = list(terms.get("regions") or [])
    if kind == MeasureKind.MODIFY:
        details["instructions"] = settlement.text[:2000]  # the modification as the agreement words it
    return [{"kind": kind.value, "listing": item.locator, **details} for item in case.listings]


def order_measures(case: Case, settlement: Filing, at: datetime) -> list[Measure]:
    """The case settled on ``settlement``: order its agreed measures from the platform (Platform Rule 9).

    An agreement that puts every listing back online in some form (a listing term other than "remove"; measures
    named listing by listing, none keeping its listing offline) does not keep the restriction taken under the
    procedure: it is lifted first (the procedure's own lifting: the restore ordered, the parties served, a
    statement of reasons ended; nothing where none stands), then what the agreement orders instead. The parties
    are served the measures ordered, each in their language."""
    agreed = agreed_measures(case, settlement)
    if _puts_every_listing_back(case, settlement, agreed) and measures_standing(case):
        carry_out("lift_measures", case, at)
        # The lifting ordered each listing's restore already: the agreement's own restore is not ordered twice.
        agreed = [item for item in agreed if item["kind"] != MeasureKind.RESTORE.value]
    ordered = order(case, agreed, at, ground="settlement", filing=settlement)
    if ordered:
        served = [
            {"kind": m.kind.value, "listing": m.listing, "regions": m.details.get("regions") or []} for m in ordered
        ]
        serve(case, "settlement_measures", at, data={"measures": served, "filing_id": settlement.id})
    return ordered


def _puts_every_listing_back(case: Case, settlement: Filing, agreed: list[dict]) -> bool:
    """Whether the settlement leaves none of the case's listings offline: its listing term is not "remove", or
    its measures name every listing and none of them keeps its listing offline. A listing it does not name keeps
    the procedure's measure."""
    terms = settlement.terms or {}
    if not terms.get("measures"):
        return terms.get("listing_measure") in AGREED_MEASURES.keys() - {"remove"}
    named = {item["listing"] for item in agreed}
    return all(listing.locator in named for listing in case.listings) and not any(
        item["kind"] in KEEP_OFFLINE for item in agreed
    )


def order_on_every_listing(
    case: Case, kind: MeasureKind, at: datetime, *, ground: str, filing: Filing | None = None
) -> list[Measure]:
    """A procedural step or a decision that applies to all the case's listings alike."""
    return order(
        case,
        [{"kind": kind.value, "listing": item.locator} for item in case.listings],
        at,
        ground=ground,
        filing=filing,
    )


def measure_json(measure: Measure) -> dict:
    return {
        "id": measure.id,
        "case_id": measure.case_id,
        "case_reference": measure.case.reference,
        "listing": measure.listing,
        "kind": measure.kind.value,
        "details": measure.details,
        "ground": measure.ground,
        "filing_id": measure.filing_id,
        "ordered_at": measure.ordered_at.isoformat(),
        "confirm_by": measure.confirm_by.isoformat(),
        "status": measure.status.value,
        "confirmed_at": measure.confirmed_at.isoformat() if measure.confirmed_at else None,
        "platform_reference": measure.platform_reference,
    }


def standing_view(case: Case) -> list[dict]:
    """The measures on the case's listings, for the parties: what the platform was told to do, where, and under
    which rule, and whether it confirmed it (account measures are shown by the conduct record)."""
    return [
        {
            "listing": m.listing,
            "kind": m.kind.value,
            "title": measure_title(m.kind.value),
            "regions": m.details.get("regions"),
            "element": m.details.get("element"),
            "rule": m.details.get("rule"),
            "ground": m.ground,
            "ordered_at": m.ordered_at.isoformat(),
            "status": m.status.value,
            "confirmed_at": m.confirmed_at.isoformat() if m.confirmed_at else None,
        }
        for m in case_measures(case)
        if m.kind not in ACCOUNT_KINDS
    ]


def _platform(account: Account) -> None:
    if account.role != Role.PLATFORM_CLIENT:
        raise Forbidden(_("Only the platform's API client receives measures."))


def platform_measures(account: Account, status: str = "pending") -> list[Measure]:
    """Measures the platform has to apply (status pending), has applied (confirmed), or ``all``."""
    query = platform_measures_query(account, status).order_by(Measure.confirm_by, Measure.id)
    return list(db.session.scalars(query.limit(1000)))


def platform_measures_query(account: Account, status: str = "pending") -> Select:
    """The query of ``platform_measures``, unordered, for a page of it (``odr.pagination.keyset``)."""
    _platform(account)
    query = select(Measure)
    if status != "all":
        try:
            query = query.where(Measure.status == MeasureStatus(status))
        except ValueError:
            raise ValidationFailed(
                _("Status must be pending, confirmed or all."), {"status": _("Use pending, confirmed or all.")}
            ) from None
    return query


def confirm_measure(account: Account, measure_id: int, reference=None, at: datetime | None = None) -> Measure:
    """The platform reports that it applied a measure; a repeated confirmation changes nothing."""
    _platform(account)
    measure = db.session.scalar(select(Measure).where(Measure.id == measure_id).with_for_update())
    if measure is None:
        raise NotFound(_("This measure does not exist."))
    if measure.status == MeasureStatus.CONFIRMED:
        return measure
    fields: dict[str, str] = {}
    ref = clean_text(reference, fields, "reference", required=False, max_length=200)
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    at = at or utcnow()
    measure.status = MeasureStatus.CONFIRMED
    measure.confirmed_at = at
    measure.confirmed_by_id = account.id
    measure.platform_reference = ref
    events.record(
        measure.case,
        EventKind.MEASURE_CONFIRMED,
        at,
        actor=account,
        role=CaseRole.PLATFORM,
        payload={"measure_id": measure.id, "kind": measure.kind.value, "late": at > measure.confirm_by},
    )
    db.session.commit()
    return measure


# Built once: the case page and the case document read it at every view.
_CASE_MEASURES = select(Measure).where(Measure.case_id == bindparam("case_id")).order_by(Measure.id)


def case_measures(case: Case) -> list[Measure]:
    return list(db.session.scalars(_CASE_MEASURES, {"case_id": case.id}))


def standing_measures(case: Case) -> dict[str, Measure]:
    """The measure that stands on each listing: the last one ordered for it (account measures aside)."""
    return {m.listing: m for m in case_measures(case) if m.kind not in ACCOUNT_KINDS}
