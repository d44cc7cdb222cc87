"""Cases over the API: notices, filings, settlement acceptance, actions, the timeline."""

from __future__ import annotations

import json
from functools import lru_cache

from flask import g, jsonify, request, url_for
from sqlalchemy import Row, Select, bindparam, func, select
from sqlalchemy.orm import selectinload

from odr.api import authenticated, bp, created, idempotency_key, json_body, page_request, paged
from odr.cases import bulk, received, reports, services
from odr.cases.access import (
    case_roles,
    get_case,
    visible_cases,
    visible_filings_query,
    visible_filings_statement,
    with_its_parties,
)
from odr.cases.models import Case, Event, EvidenceFile, Filing, Listing, ReceivedNotice
from odr.cases.views import evidence_download
from odr.errors import ValidationFailed
from odr.extensions import db, locale_code
from odr.extensions import gettext as _
from odr.idempotency import AnsweredAs
from odr.mediation.measures import standing_view
from odr.models_base import utcnow
from odr.pagination import MOST, RowId, decode_cursor, keyset, latest_window
from odr.procedure import pauses
from odr.procedure.explain import case_procedure_view, deadlines_view
from odr.procedure.services import allowed_transitions, order_extension
from odr.translation.api import filing_translations, reads_as_staff
from odr.translation.services import translations_by_filing


def _payload() -> tuple[dict, list[services.Upload]]:
    """JSON body, or multipart with a ``data`` JSON part and ``evidence`` files."""
    if request.mimetype == "multipart/form-data":
        raw = request.form.get("data", "")
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            raise ValidationFailed(_("The data part is not valid JSON."), code="malformed_json") from None
        if not isinstance(data, dict):
            raise ValidationFailed(_("The body must be a JSON object."), code="malformed_json")
        uploads = [services.Upload(f.stream, f.filename) for f in request.files.getlist("evidence")]
        return data, uploads
    return json_body(), []


def filing_json(filing: Filing, translations: list | None = None, staff: bool | None = None) -> dict:
    return {
        "id": filing.id,
        "kind": filing.kind.value,
        "author_role": filing.author_case_role,
        "language": filing.language,
        "text": filing.text,
        "terms": filing.terms,
        "caucus": filing.is_caucus,
        "filed_at": filing.created_at.isoformat(),
        "acceptances": [
            {"party_id": a.party_id, "text_sha256": a.text_sha256, "accepted_at": a.accepted_at.isoformat()}
            for a in filing.acceptances
        ],
        # The original (authoritative) and every translation with its provenance.
        **filing_translations(filing, translations, staff),
    }


def evidence_json(item: Row) -> dict:
    return {
        "id": item.id,
        "filing_id": item.filing_id,
        "name": item.original_name,
        "sha256": item.sha256,
        "size": item.size,
        "media_type": item.media_type,
        "uploaded_at": item.uploaded_at.isoformat(),
    }


def case_summary(case: Case) -> dict:
    return {
        "id": case.id,
        "reference": case.reference,
        "title": case.title,
        "state": case.state,
        "jurisdiction": case.jurisdiction,
        "right_type": case.right_type.value,
        "procedure": {"code": case.procedure_code, "version": case.procedure_version},
        "filed_at": case.created_at.isoformat(),
    }


# The filings the case document carries: the latest ones; the rest are read a page at a time (api_filings).
CASE_DOCUMENT_FILINGS = 50


def case_json(case: Case, account) -> dict:
    roles = case_roles(account, case)
    statement, params = visible_filings_statement(account, case, (Filing,))
    filings, pager = latest_window(_with_acceptances(statement), Filing.id, limit=CASE_DOCUMENT_FILINGS, params=params)
    translations = translations_by_filing([f.id for f in filings])
    staff = reads_as_staff(case)
    # The listings and evidence files as plain rows (lazy loads of the case's collections cost about 12% of the
    # document), after what the request wrote is flushed (a filing answers with the case it changed).
    db.session.flush()
    read = db.session.connection().execute
    proposal = services.current_settlement(case)
    receipt = case_receipt(case)
    return receipt | {
        "your_roles": sorted(roles),
        "remedy_sought": case.remedy_sought,
        "listings": list(read(_LOCATORS, {"case_id": case.id}).scalars()),
        "claimant": {"id": case.claimant.id, "name": case.claimant.name, "country": case.claimant.country},
        "respondent": {"id": case.respondent.id, "name": case.respondent.name, "country": case.respondent.country},
        "mediator": None if case.mediator is None else {"id": case.mediator.id, "name": case.mediator.display_name},
        "filings": [filing_json(f, translations.get(f.id, []), staff) for f in filings],
        # Every filing the reader may read, of which "filings" are the latest; earlier_filings pages the rest.
        "filings_total": db.session.connection().execute(_count_of(statement), params).scalar(),
        "links": receipt["links"]
        | {
            "earlier_filings": None
            if pager.earlier is None
            else url_for("api.api_filings", case_id=case.id, before=pager.earlier)
        },
        "evidence": [evidence_json(e) for e in read(_EVIDENCE, {"case_id": case.id})],
        "procedure_choice": case_procedure_view(case),
        "deadlines": deadlines_view(case),
        # Which measure stands on each listing (a take-down, a sales restriction in named regions, one element removed).
        "measures": standing_view(case),
        "actions": [t.name for t in allowed_transitions(case, roles, _now())],
        "settlement": None
        if proposal is None
        else {"filing_id": proposal.id, "text_sha256": services.text_sha256(proposal)},
    }


@lru_cache(maxsize=8)
def _with_acceptances(filings: Select) -> Select:
    """A statement of filings that reads their acceptances with them, built once per form of ``filings``."""
    return filings.options(selectinload(Filing.acceptances))


@lru_cache(maxsize=8)
def _count_of(filings: Select) -> Select:
    """How many rows a statement of filings reads, built once per form of ``filings``."""
    return select(func.count()).select_from(filings.subquery())


# Built once, as the case document reads them at every view.
_LOCATORS = select(Listing.locator).where(Listing.case_id == bindparam("case_id")).order_by(Listing.id)
_EVIDENCE = (
    select(
        EvidenceFile.id,
        EvidenceFile.filing_id,
        EvidenceFile.original_name,
        EvidenceFile.sha256,
        EvidenceFile.size,
        EvidenceFile.media_type,
        EvidenceFile.uploaded_at,
    )
    .where(EvidenceFile.case_id == bindparam("case_id"))
    .order_by(EvidenceFile.id)
)


def _now():
    return utcnow()


@bp.get("/cases")
@authenticated
def api_cases():
    limit, cursor = page_request()
    query = visible_cases(g.api_account)
    for name in ("state", "jurisdiction"):
        if request.args.get(name):
            query = query.where(getattr(Case, name) == request.args[name])
    page = keyset(query, [Case.id], limit=limit, cursor=cursor)
    return jsonify(paged("cases", [case_summary(c) for c in page.items], page))


@bp.post("/cases")
@authenticated
def api_file_notice():
    try:
        return file_or_accept_notice()
    except AnsweredAs as earlier:
        return earlier_answer(earlier)


def file_or_accept_notice():
    if "respond-async" in preferences() and request.mimetype != "multipart/form-data":
        # Files are filed with their notice at once: RFC 7240 lets a server not apply a preference.
        return accept_notice()
    data, uploads = _payload()
    outcome = services.file_notice(
        g.api_account,
        data,
        uploads,
        element_files=services.element_uploads(request.files),
        key=idempotency_key(),
        remote_addr=request.remote_addr or "",
        keep=True,  # answered from the case as written (the receipt): nothing read back
    )
    if wants_full_document():
        return created(case_json(outcome.obj, g.api_account), outcome.created)
    return created(case_receipt(outcome.obj), outcome.created)


def accept_notice():
    """``Prefer: respond-async``: the notice is kept and acknowledged (202) once committed; the queue opens its
    case, and the receipt (``Location``) says when it did, or why it was refused."""
    outcome = received.receive_notice(
        g.api_account,
        json_body(),
        key=idempotency_key(),
        remote_addr=request.remote_addr or "",
        locale=locale_code(),
    )
    body = receipt_json(outcome.obj)
    headers = {"Preference-Applied": "respond-async", "Location": body["links"]["self"]}
    return jsonify(body), 202 if outcome.created else 200, headers


def earlier_answer(earlier: AnsweredAs):
    """The same notice under the same key, sent before the other way (filed at once, or received to be opened
    later): that answer again (200), whatever the preference this time, which a server may leave (RFC 7240)."""
    if earlier.result_kind == ReceivedNotice.__tablename__:
        body = receipt_json(received.receipt_of(g.api_account, earlier.result_id))
        return jsonify(body), 200, {"Location": body["links"]["self"]}
    if earlier.result_kind == Case.__tablename__:
        return created(case_receipt(get_case(g.api_account, earlier.result_id)), False)
    raise earlier


def preferences() -> set[str]:
    """The preferences of the request's ``Prefer`` headers (RFC 7240), lower-cased, without their parameters."""
    named = ",".join(request.headers.getlist("Prefer")).replace(" ", "").lower()
    return {part.split(";", 1)[0] for part in named.split(",") if part}


def wants_full_document() -> bool:
    """``?full=1`` or ``Prefer: return=representation`` (RFC 7240) asks for the whole case document."""
    return request.args.get("full") in ("1", "true") or "return=representation" in preferences()


def case_receipt(case: Case) -> dict:
    """What filing a notice answers by default: the case's summary and where to read the rest (no query)."""
    return case_summary(case) | {
        "links": {
            "self": url_for("api.api_case", case_id=case.id),
            "events": url_for("api.api_events", case_id=case.id),
            "filings": url_for("api.api_filings", case_id=case.id),
            "timeline": url_for("api.api_timeline", case_id=case.id),
        }
    }


def receipt_json(receipt: ReceivedNotice) -> dict:
    """A received notice: queued; filed, with its case's receipt as filing it at once answers; or refused, with
    the error the synchronous route would have answered."""
    body: dict = {
        "id": receipt.id,
        "status": receipt.status.value,
        "received_at": receipt.received_at.isoformat(),
        "processed_at": None if receipt.processed_at is None else receipt.processed_at.isoformat(),
        "links": {"self": url_for("api.api_received_notice", receipt_id=receipt.id)},
    }
    if receipt.case is not None:
        body["case"] = case_receipt(receipt.case)
        body["links"]["case"] = body["case"]["links"]["self"]
    if receipt.refusal is not None:
        body["error"] = receipt.refusal
    return body


@bp.get("/cases/received/<int:receipt_id>")
@authenticated
def api_received_notice(receipt_id):
    body = receipt_json(received.receipt_of(g.api_account, receipt_id))
    return jsonify(body), 200, {"Location": body["links"]["case"]} if "case" in body else {}


@bp.post("/notices:batch")
@authenticated
def api_file_notices():
    """Up to 10,000 notices as a JSON array or NDJSON; each item's result, and the cases they went to."""
    if request.mimetype == "application/x-ndjson":
        items = bulk.read_ndjson(request.stream)
    elif request.mimetype == "application/json":
        items = bulk.read_json_array(request.get_data(cache=False))
    else:
        raise ValidationFailed(
            _("Send a JSON array (application/json) or NDJSON (application/x-ndjson)."), code="malformed_request"
        )
    batch = bulk.file_notices(g.api_account, items, request_key=idempotency_key())
    return jsonify(batch_json(batch))


def batch_json(batch: bulk.BatchResult) -> dict:
    """Each item's result (its case's reference and links, or its error), then the cases with their items."""
    receipts = {case_id: case_receipt(case) for case_id, case in batch.cases.items()}
    items = []
    for result in batch.results:
        entry: dict = {"index": result.index, "status": result.status}
        if result.line is not None:
            entry["line"] = result.line
        if result.item_key is not None:
            entry["item_key"] = result.item_key
        if result.case_id is not None:
            receipt = receipts[result.case_id]
            entry["case"] = {"id": receipt["id"], "reference": receipt["reference"], "links": receipt["links"]}
        if result.error is not None:
            entry["error"] = result.error
        items.append(entry)
    cases = {}
    for result in batch.results:
        if result.case_id is not None:
            cases.setdefault(result.case_id, []).append(result.index)
    counts = {status: sum(r.status == status for r in batch.results) for status in ("created", "replayed", "refused")}
    return {
        "items": items,
        "cases": [
            receipts[case_id] | {"items": indexes, "listings": len(batch.cases[case_id].listings)}
            for case_id, indexes in cases.items()
        ],
        "summary": {"items": len(batch.results), **counts, "cases": len(cases)},
    }


@bp.get("/cases/<int:case_id>")
@authenticated
def api_case(case_id):
    return jsonify(case_json(get_case(g.api_account, case_id, options=with_its_parties()), g.api_account))


@bp.post("/cases/<int:case_id>/filings")
@authenticated
def api_add_filing(case_id):
    data, uploads = _payload()
    outcome = services.add_filing(
        g.api_account, case_id, data, uploads, key=idempotency_key(), remote_addr=request.remote_addr or ""
    )
    return created(filing_json(outcome.obj), outcome.created)


@bp.get("/cases/<int:case_id>/filings")
@authenticated
def api_filings(case_id):
    """The filings the reader may read, oldest first, a page at a time; ``before`` (the case document's
    earlier_filings) keeps to those before the document's first."""
    case = get_case(g.api_account, case_id)
    limit, cursor = page_request()
    query = visible_filings_query(g.api_account, case).options(selectinload(Filing.acceptances))
    before = decode_cursor(request.args.get("before"), [RowId])
    if before is not None:
        query = query.where(Filing.id < before[0])
    page = keyset(query, [Filing.id], limit=limit, cursor=cursor, descending=False)
    translations = translations_by_filing([f.id for f in page.items])
    staff = reads_as_staff(case)
    return jsonify(paged("filings", [filing_json(f, translations.get(f.id, []), staff) for f in page.items], page))


@bp.post("/cases/<int:case_id>/reports")
@authenticated
def api_file_report(case_id):
    get_case(g.api_account, case_id)  # unknown and foreign cases answer 404 before anything else
    data, _evidence = _payload()
    upload = request.files.get("document")
    document = services.Upload(upload.stream, upload.filename) if upload and upload.filename else None
    outcome = reports.file_report(
        g.api_account, case_id, data, document, key=idempotency_key(), remote_addr=request.remote_addr or ""
    )
    return created(filing_json(outcome.obj), outcome.created)


@bp.post("/cases/<int:case_id>/settlements/<int:filing_id>/accept")
@authenticated
def api_accept_settlement(case_id, filing_id):
    data = json_body()
    services.accept_settlement(g.api_account, case_id, filing_id, data.get("text_sha256"))
    case = get_case(g.api_account, case_id)
    return jsonify(case_json(case, g.api_account))


@bp.post("/cases/<int:case_id>/deadlines/<int:deadline_id>/extensions")
@authenticated
def api_extend_deadline(case_id, deadline_id):
    order_extension(g.api_account, case_id, deadline_id, json_body())
    return jsonify(case_json(get_case(g.api_account, case_id, options=with_its_parties()), g.api_account))


@bp.post("/cases/<int:case_id>/deadlines/<int:deadline_id>/pause-requests")
@authenticated
def api_request_pause(case_id, deadline_id):
    get_case(g.api_account, case_id)  # unknown and foreign cases answer 404 before anything else
    data, _evidence = _payload()
    upload = request.files.get("proof")
    proof = services.Upload(upload.stream, upload.filename) if upload and upload.filename else None
    pause = pauses.request_pause(
        g.api_account, case_id, deadline_id, data, proof, remote_addr=request.remote_addr or "", at=utcnow()
    )
    return jsonify(pause_json(pause)), 201


@bp.post("/cases/<int:case_id>/pause-requests/<int:request_id>/decision")
@authenticated
def api_decide_pause(case_id, request_id):
    pause = pauses.decide_pause(g.api_account, case_id, request_id, json_body(), at=utcnow())
    return jsonify(pause_json(pause))


def pause_json(pause) -> dict:
    return {
        "id": pause.id,
        "deadline_id": pause.deadline_id,
        "count": pause.count,
        "reason": pause.reason,
        "status": pause.status.value,
        "granted_count": pause.granted_count,
        "decision_reasons": pause.decision_reasons,
    }


@bp.post("/cases/<int:case_id>/actions/<action>")
@authenticated
def api_take_action(case_id, action):
    case = services.take_action(g.api_account, case_id, action)
    return jsonify(case_json(case, g.api_account))


@bp.get("/cases/<int:case_id>/events")
@authenticated
def api_events(case_id):
    case = get_case(g.api_account, case_id)
    limit, cursor = page_request(MOST)
    page = keyset(
        select(Event).where(Event.case_id == case.id), [Event.seq], limit=limit, cursor=cursor, descending=False
    )
    return jsonify(
        paged(
            "events",
            [
                {
                    "seq": e.seq,
                    "kind": e.kind,
                    "actor_role": e.actor_case_role,
                    "at": e.created_at.isoformat(),
                    "payload": e.payload,
                    "hash": e.hash,
                    "prev_hash": e.prev_hash,
                }
                for e in page.items
            ],
            page,
        )
    )


@bp.get("/cases/<int:case_id>/evidence/<int:evidence_id>")
@authenticated
def api_evidence(case_id, evidence_id):
    return evidence_download(g.api_account, case_id, evidence_id)
