"""Templates only render their view model: no page runs a database query while its template renders.

Every SQL statement sent between Flask's ``before_render_template`` and ``template_rendered`` signals is
counted, on every main page, for every kind of reader, and on pages that come back with a refused form.
"""

from __future__ import annotations

import io
import re
from contextlib import contextmanager

import pytest
from flask import before_render_template, render_template_string, template_rendered
from sqlalchemy import event, text

from odr.accounts.models import Role
from odr.cases import services
from odr.deposits.services import deposit_work
from odr.extensions import db
from odr.mediation import agreement, bidding, evaluation, signing
from odr.translation.services import add_human_translation
from tests.cases.test_guided_notice import ELEMENTS as GUIDED_ELEMENTS
from tests.cases.test_guided_notice import RIGHT as GUIDED_RIGHT
from tests.cases.test_guided_notice import files as guided_files
from tests.conftest import PASSWORD, make_account
from tests.export.conftest import escalate
from tests.mediation.conftest import mediated_case


@contextmanager
def statements_while_rendering(app):
    """The SQL statements each rendered template sent, by template name."""
    sent: dict[str, list[str]] = {}
    rendering: list[str] = []

    def before(sender, template, context, **extra):
        rendering.append(template.name)

    def after(sender, template, context, **extra):
        rendering.pop()

    def count(conn, cursor, statement, parameters, context, executemany):
        if rendering:
            sent.setdefault(rendering[-1], []).append(statement)

    before_render_template.connect(before, app)
    template_rendered.connect(after, app)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
        template_rendered.disconnect(after, app)
        before_render_template.disconnect(before, app)


def test_the_count_sees_a_query_sent_from_a_template(app):
    with app.test_request_context("/"), statements_while_rendering(app) as sent:
        render_template_string("{{ ask() }}", ask=lambda: db.session.execute(text("SELECT 1")).scalar())
    assert [len(statements) for statements in sent.values()] == [1]


def pages_of(response) -> str:
    assert response.status_code in (200, 409, 422), response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


@pytest.fixture
def busy_case(world) -> int:
    """A mediated case with every panel filled: a human translation, a caucus, bidding, an evaluation, an
    agreement with an acceptance."""
    case_id = mediated_case(world)
    neutral = make_account(Role.MEDIATOR, "neutral@example.org", country="NL", language="en", languages="en,es,zh")
    message = services.add_filing(
        world.seller, case_id, {"kind": "message", "language": "zh", "text": "我们愿意谈。"}
    ).obj
    add_human_translation(world.mediator, case_id, message.id, "es", "Queremos hablar.")
    services.add_filing(world.holder, case_id, {"kind": "message", "language": "es", "text": "Privado.", "caucus": "1"})
    bidding.open_bidding(
        world.mediator,
        case_id,
        {"currency": "EUR", "listing_measure": "remove", "max_rounds": "3", "gap_percent": "10"},
    )
    bidding.submit_bid(world.holder, case_id, "9000", "on")
    evaluation.open_evaluation(
        world.mediator,
        case_id,
        {
            "claim": "One claim",
            "listings": ["item-2"],
            "neutral_id": str(neutral.id),
            "word_limit": "200",
            "submission_days": "3",
            "deposit_amount": "100",
            "deposit_currency": "EUR",
        },
    )
    evaluation.record_deposit(world.admin, case_id, "claimant", "w1")
    evaluation.submit(world.holder, case_id, {"language": "es", "text": "Copian la marca."})
    agreement.draft_agreement(
        world.mediator,
        case_id,
        {
            "authoritative_language": "es",
            "texts": {"es": "Acuerdo.", "zh": "协议。"},
            "terms": {"amount": "500", "currency": "EUR"},
            "measures": [{"kind": "remove_element", "listing": "item-2", "element": "logo"}],
        },
    )
    signing.sign_agreement(
        world.holder,
        case_id,
        {"signed_name": "holder", "capacity": "director", "place": "Madrid", "password": PASSWORD},
    )
    return case_id


def test_no_page_queries_the_database_while_rendering(app, world, browser, busy_case):
    escalated = escalate(world).id
    deposit_work(world.holder, "Catalogue", io.BytesIO(b"photo"), "catalogue.jpg")
    neutral = db.session.scalar(db.select(services.Account).where(services.Account.email == "neutral@example.org"))
    sessions = {name: browser(getattr(world, name)) for name in ("holder", "seller", "mediator", "court", "admin")}
    sessions["neutral"] = browser(neutral)
    anonymous = browser()
    with statements_while_rendering(app) as sent:
        for name in ("holder", "seller", "mediator", "admin"):
            for path in (
                "/",
                f"/cases/{busy_case}",
                f"/cases/{busy_case}/timeline",
                f"/cases/{busy_case}/timeline?print=1",
                f"/cases/{busy_case}/agreement",
                "/profile",
            ):
                pages_of(sessions[name].get(path))
        holder_page = pages_of(sessions["holder"].get(f"/cases/{busy_case}?lang=en"))
        pages_of(sessions["mediator"].get(f"/cases/{busy_case}/agreement/draft"))
        for path in ("/cases/new", "/deposits"):
            pages_of(sessions["holder"].get(path))
        desk = pages_of(sessions["mediator"].get("/mediation"))
        judge_desk = pages_of(sessions["neutral"].get("/mediation"))
        pages_of(sessions["neutral"].get(re.search(r'href="(/evaluations/\d+)"', judge_desk).group(1)))
        for path in ("/", "/court", f"/cases/{escalated}", f"/cases/{escalated}/timeline"):
            pages_of(sessions["court"].get(path))
        pages_of(sessions["admin"].get(f"/cases/{escalated}"))
        for path in ("/login", "/signup"):
            pages_of(anonymous.get(path))
        # Pages that come back with a refused form render from their view model too.
        page = f"/cases/{busy_case}"
        pages_of(sessions["seller"].post(f"{page}/bids", {"amount": "a lot"}, form_page=page))
        pages_of(
            sessions["seller"].post(
                f"{page}/filings",
                {"kind": "offer", "language": "zh", "text": "提议。", "amount": "-1", "currency": "EUR"},
                form_page=page,
            )
        )
        pages_of(sessions["holder"].post("/cases/new", {"title": ""}, form_page="/cases/new"))
        # ... with its files kept: the evidence and a notice element's file (odr/cases/pending.py).
        kept_files = {
            "title": "",
            "evidence": (io.BytesIO(b"%PDF-1.4 receipt\n"), "receipt.pdf"),
            "elements.right_certificate": (io.BytesIO(b"%PDF-1.4 certificate\n"), "certificate.pdf"),
        }
        refused = pages_of(
            sessions["holder"].post(
                "/cases/new", kept_files, form_page="/cases/new", content_type="multipart/form-data"
            )
        )
        assert "receipt.pdf" in refused and "certificate.pdf" in refused
        # The guided notice's steps (odr/cases/drafts.py), a refused step with its kept files, and the summary.
        holder = sessions["holder"]
        started = holder.post("/notices/new", dict(GUIDED_RIGHT), form_page="/notices/new")
        step = started.location.rsplit("/", 1)[0]
        holder.post(f"{step}/procedure", {}, form_page=f"{step}/procedure")
        guided = pages_of(
            holder.post(
                f"{step}/elements",
                {"text": "", **guided_files()},
                form_page=f"{step}/elements",
                content_type="multipart/form-data",
            )
        )
        assert "fotos.pdf" in guided and "certificado-marca.pdf" in guided
        holder.post(
            f"{step}/elements",
            dict(GUIDED_ELEMENTS, **guided_files()),
            form_page=f"{step}/elements",
            content_type="multipart/form-data",
        )
        for name in ("right", "procedure", "elements", "summary"):
            pages_of(holder.get(f"{step}/{name}"))
        pages_of(holder.get("/notices/new"))
        pages_of(holder.get("/rights-profile"))
        pages_of(
            holder.post(
                "/rights-profile",
                {"identity": "x", "right_certificate": (io.BytesIO(b"text"), "c.txt")},
                form_page="/rights-profile",
                content_type="multipart/form-data",
            )
        )
        pages_of(sessions["holder"].post("/deposits", {"title": ""}, form_page="/deposits"))
        pages_of(sessions["holder"].post("/profile", {"locale": "xx", "time_zone": "Nowhere"}, form_page="/profile"))
        pages_of(sessions["mediator"].post("/mediation/affiliations", {"organisation": ""}, form_page="/mediation"))
        pages_of(anonymous.post("/signup", {"email": "nobody"}, form_page="/signup"))
    assert "Mediator's desk" in desk and "Human translation by" in holder_page and "Queremos hablar." in holder_page
    assert sent == {}, {name: statements[:3] for name, statements in sent.items()}
