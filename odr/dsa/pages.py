"""View models of the DSA lane: the statement of reasons in the reader's language, the reviewers' queues."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from babel import Locale
from flask import url_for
from flask_babel import format_date, get_locale
from markupsafe import Markup, escape

from odr.accounts.models import Account
from odr.cases.access import case_roles, get_case
from odr.cases.models import RIGHT_TYPE_TITLES, Case, FilingKind, RightType
from odr.cases.pages import CaseContext, case_panel
from odr.conduct.health_safety import screen_of
from odr.dsa import services
from odr.dsa.models import NoticeReview, ReviewStatus, StatementOfReasons
from odr.extensions import db
from odr.extensions import gettext as _
from odr.i18n import list_format
from odr.models_base import utcnow
from odr.vocabulary import CaseRole

MEASURE_WORDS = {
    "take_down": lambda: _("The listings were taken down."),
    "restore": lambda: _("The listings were restored."),
}


@dataclass
class Section:
    key: str
    title: str
    lines: list[str] = field(default_factory=list)
    quoted: list[tuple[str, str]] = field(default_factory=list)  # (text as written, its language)
    items: list[str] = field(default_factory=list)


@dataclass
class StatementView:
    id: int
    puid: str
    version: int
    language: str
    issued_at: datetime
    sections: list[Section]


def _country(code: str) -> str:
    try:
        return Locale.parse(str(get_locale())).territories.get(code, code)
    except (ValueError, TypeError):
        return code


def _day(value: str | None) -> str:
    return format_date(datetime.fromisoformat(value), "long") if value else ""


def _right(code: str | None) -> str:
    try:
        return str(RIGHT_TYPE_TITLES[RightType(code)])
    except (KeyError, ValueError):
        return code or ""


def statement_view(statement: StatementOfReasons) -> StatementView:
    """Every Art. 17(3) element of the statement, in the reader's language (free text as the reviewer wrote it)."""
    c = statement.content
    duration, facts, automated, ground = c["duration"], c["facts"], c["automated_means"], c["ground"]
    scope = [_country(code) for code in c.get("territorial_scope") or []]
    sections = [
        Section(
            "measure",
            _("The restriction"),
            [MEASURE_WORDS.get(m, MEASURE_WORDS["take_down"])() for m in c["measure"]],
            items=list(c.get("listings") or []),
        ),
        Section(
            "territorial_scope",
            _("Where it applies"),
            [
                _("In %(markets)s: the market the notice names for the listings.", markets=list_format(scope))
                if c.get("territorial_scope_from") == "target_market"
                else _("In every member state of the European Union: the listings are offered to the whole Union.")
            ],
        ),
        Section("duration", _("How long"), [_duration(duration)]),
        Section(
            "facts", _("Facts and circumstances"), _facts(facts), quoted=_quoted(facts.get("reviewer_facts"), ground)
        ),
        Section(
            "automated_means", _("Use of automated means"), _automated(automated) + _provisional(c.get("provisional"))
        ),
        Section(
            "ground",
            _("Legal ground"),
            [
                _(
                    "Illegal content: an infringement of an intellectual property right (%(right)s).",
                    right=_right(ground.get("right_type")),
                )
                if ground.get("kind") != "incompatible_content"
                else _("Incompatible with the platform's terms and conditions.")
            ],
            quoted=[
                (q, ground.get("language") or "") for q in (ground.get("legal_ground"), ground.get("explanation")) if q
            ],
        ),
        Section(
            "law",
            _("Which law applies"),
            [
                _(
                    "The Digital Services Act applies to this listing because it is offered in the Union; the law of the platform's home jurisdiction (%(home)s) applies alongside it.",  # noqa: E501
                    home=c.get("home_jurisdiction") or "",
                )
            ],
        ),
        Section("redress", _("What you can do"), _redress()),
    ]
    return StatementView(
        id=statement.id,
        puid=statement.puid,
        version=statement.version,
        language=str(get_locale()),
        issued_at=statement.created_at,
        sections=sections,
    )


def _duration(duration: dict) -> str:
    if duration.get("ended_at"):
        why = {
            "withdrawal": _("the notifier withdrew the notice"),
            "complaint_upheld": _("an internal complaint was upheld"),
            "superseded_by_decision": _("a reviewer decided on the notice, and that decision's statement governs"),
        }.get(duration.get("ended_by") or "", _("the measure was lifted"))
        return _(
            "From %(start)s to %(end)s: it ended because %(why)s.",
            start=_day(duration["from"]),
            end=_day(duration["ended_at"]),
            why=why,
        )
    if "match_cleared" in (duration.get("ends_on") or []):
        return _(
            "From %(start)s, provisionally: until a reviewer decides on the notice or the health-and-safety match is cleared.",  # noqa: E501
            start=_day(duration["from"]),
        )
    return _(
        "From %(start)s, with no end date: until the notice is withdrawn, a complaint is upheld, the parties settle or a court decides.",  # noqa: E501
        start=_day(duration["from"]),
    )


def _facts(facts: dict) -> list[str]:
    lines = [
        _(
            "A notice under Article 16 of the Digital Services Act, filed on %(date)s by %(notifier)s, reported an infringement of their %(right)s.",  # noqa: E501
            date=_day(facts.get("notice_filed_at")),
            notifier=facts.get("claimant") or "",
            right=_right(facts.get("right_type")),
        )
    ]
    if facts.get("source") == "trusted_flagger":
        lines.append(
            _(
                "The notifier is a trusted flagger (%(reference)s): the notice was decided with priority.",
                reference=facts.get("trusted_flagger") or "",
            )
        )
    return lines


def _quoted(text: str | None, ground: dict) -> list[tuple[str, str]]:
    return [(text, ground.get("language") or "")] if text else []


def _automated(automated: dict) -> list[str]:
    lines = [_("No automated means detected the listings: they were reported by a notice.")]
    decision = automated.get("decision")
    if decision == "partially":
        lines.append(
            _(
                "A person decided. Software checked that the notice was complete and suggested this outcome, which the reviewer followed."  # noqa: E501
            )
        )
    elif decision == "not_automated":
        lines.append(
            _("A person decided. Software only checked that the notice was complete and ordered the reviewers' queue.")
        )
    else:
        lines.append(_("The restriction followed from the procedure's rules without a person's decision."))
    ordered = automated.get("queue_ordered_by") or []
    if "triage_score" in ordered:
        lines.append(
            _(
                "A triage score, computed from the notifier's and the seller's records and the health-and-safety risk terms, ordered the reviewers' queue; it decided nothing."  # noqa: E501
            )
        )
    if "health_safety_screening" in ordered:
        lines.append(_("Health-and-safety risk terms matched this notice: it was handled on the fast track."))
    return lines


def _provisional(provisional: dict | None) -> list[str]:
    if not provisional:
        return []
    return [
        _(
            "The listings were taken down provisionally because the notice or the listings name goods that concern health and safety (%(terms)s); no person has decided yet.",  # noqa: E501
            terms=list_format(provisional.get("terms") or provisional.get("categories") or []),
        )
    ]


def _redress() -> list[str]:
    bodies = services.out_of_court_bodies()
    lines = [
        _(
            "Complain to the platform, free of charge, within six months from when you were informed of this decision, whatever the stage of the case (Article 20)."  # noqa: E501
        ),
        # The bodies' names are proper names, never translated: each is isolated (<bdi>), so that a Latin name
        # keeps its own direction in an Arabic sentence. The sentence is escaped, then the names put in.
        Markup(escape(_("Choose a certified out-of-court dispute settlement body (Article 21): %(bodies)s.")))
        % {
            "bodies": Markup(
                list_format([str(Markup("<bdi>{}</bdi> ({})").format(b["name"], b["member_state"])) for b in bodies])
            )
        },
        _("Go to court, at any time."),
    ]
    return lines


# -- pages ---------------------------------------------------------------------------------------------------


@dataclass
class StatementPage:
    case: Case
    statements: list[StatementView]
    may_complain: bool
    window_ends_at: datetime | None


def statement_page(account: Account, case_id: int) -> StatementPage:
    """The case's statements of reasons, and the complaint form for the seller or the notifier while their
    window is open (services.file_complaint decides; the page offers what it would accept)."""
    case = get_case(account, case_id)
    roles = case_roles(account, case) & {CaseRole.RESPONDENT, CaseRole.CLAIMANT}
    views = [statement_view(s) for s in services.statements(case)]
    window = services.complaint_window(case, sorted(roles)[0]) if roles else None
    open_ = window is not None and (window.ends_at is None or utcnow() <= window.ends_at)
    return StatementPage(case, views, open_, window.ends_at if window else None)


def is_reviewer(account: Account) -> bool:
    """The platform's staff who decide notices and complaints (services.REVIEWER_ROLES)."""
    return account.role in services.REVIEWER_ROLES


@dataclass
class QueuePage:
    reviews: list[services.QueueRow]
    complaints: list[services.ComplaintRow]


def queue_page(account: Account) -> QueuePage:
    return QueuePage(services.review_queue(account), services.open_complaints(account))


@dataclass
class DecisionPage:
    case: Case
    review: NoticeReview | None
    notice_text: str
    pending: bool
    suggested: str | None
    flags: list[str]


TRIAGE_FLAGS = {"explanation_too_short": lambda: _("The notice's explanation is too short to show an infringement.")}


def decision_page(account: Account, case_id: int) -> DecisionPage:
    services.reviewer_role(account)
    found = db.session.get(Case, case_id)
    review = services.review_of(found) if found is not None else None
    # Only notices in the DSA review lane come to the platform's reviewers: any other case is theirs to see only
    # as anyone's (the same not-found as for a case that does not exist).
    case = found if found is not None and review is not None else get_case(account, case_id)
    notice = next((f for f in case.filings if f.kind == FilingKind.NOTICE), None)
    triage = review.triage if review else {}
    return DecisionPage(
        case=case,
        review=review,
        notice_text=notice.text if notice else "",
        pending=review is not None and review.status == ReviewStatus.PENDING,
        suggested=triage.get("suggested_outcome"),
        flags=[str(TRIAGE_FLAGS[f]()) for f in triage.get("flags", []) if f in TRIAGE_FLAGS],
    )


@dataclass
class DsaPanel:
    """The case page's part of the DSA lane: the statement's link, the decision's state, the reviewer's link."""

    statement_url: str | None
    awaiting_decision: bool
    priority: bool
    may_decide: bool
    provisional: bool = False  # the listings are down provisionally for health and safety meanwhile


@case_panel("dsa")
def _panel(context: CaseContext) -> DsaPanel | None:
    if context.procedure.complaints is None:
        return None
    review = services.review_of(context.case)
    has_statement = bool(services.statements(context.case))
    visible = bool(context.roles) or is_reviewer(context.account)
    return DsaPanel(
        statement_url=url_for("dsa.statement", case_id=context.case.id) if has_statement and visible else None,
        awaiting_decision=review is not None and review.status == ReviewStatus.PENDING,
        priority=bool(review and review.priority),
        may_decide=is_reviewer(context.account) and review is not None and review.status == ReviewStatus.PENDING,
        provisional=bool((screen := screen_of(context.case)) and screen.provisional_in_force),
    )
