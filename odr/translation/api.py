"""Translations over the API: each filing's translations with provenance, flags, human translations."""

from __future__ import annotations

from flask import g, jsonify

from odr.api import authenticated, bp, json_body
from odr.cases.access import case_roles, get_case, visible_filings
from odr.cases.models import Filing
from odr.errors import NotFound
from odr.extensions import gettext as _
from odr.translation import services
from odr.translation.models import Translation


def translation_json(t: Translation, staff: bool = False) -> dict:
    """One translation; ``staff`` (the case's mediator, an administrator) also gets the last error."""
    return {
        "id": t.id,
        "language": t.target_language,
        "source_language": t.source_language,
        "origin": t.origin.value,
        "status": t.status.value,
        "text": t.text,
        "terms": t.terms or {},
        # Sentences the model could not translate whole stand in the original inside the text.
        "incomplete": bool(t.incomplete),
        "untranslated": t.untranslated or [],
        "missing_model": t.missing_pair,
        "last_error": (t.last_error or None) if staff else None,
        "authoritative": False,
        "source_sha256": t.source_sha256,
        "provenance": {
            "engine": t.engine or None,
            "model": t.model or None,
            "model_version": t.model_version or None,
            "pivot": t.pivot,
            "glossary_version": t.glossary_version or None,
            "translator": t.translator.display_name if t.translator else None,
            "segments": t.segments,
            "memory_hits": t.memory_hits,
            "attempts": t.attempts,
            "requested_at": t.requested_at.isoformat(),
            "completed_at": t.completed_at.isoformat() if t.completed_at else None,
        },
        "open_flags": len(t.open_flags),
    }


def reads_as_staff(case) -> bool:
    """Whether the request's reader is the case's mediator or an administrator (who also get the last error)."""
    return bool(case_roles(g.api_account, case) & {"mediator", "admin"}) if "api_account" in g else False


def filing_translations(
    filing: Filing, translations: list[Translation] | None = None, staff: bool | None = None
) -> dict:
    """The part of a filing's JSON that carries its original and its translations (``translations``: the
    filing's, when the caller read those of many filings at once; ``staff``: ``reads_as_staff``, when the caller
    asked it once for a list of the case's filings)."""
    if staff is None:
        staff = reads_as_staff(filing.case)
    if translations is None:
        translations = services.translations_of(filing)
    return {
        "original": {
            "language": filing.language,
            "text": filing.text,
            "authoritative": True,
            # declared by the filer (None: detected), what detection found, and how sure it was
            "language_check": {
                "declared": filing.language_declared,
                "detected": filing.language_detected,
                "confidence": None if filing.language_confidence is None else round(filing.language_confidence, 3),
            },
        },
        "translations": [translation_json(t, staff) for t in translations],
    }


def _filing(case_id: int, filing_id: int) -> Filing:
    case = get_case(g.api_account, case_id)
    filing = next((f for f in visible_filings(g.api_account, case) if f.id == filing_id), None)
    if filing is None:
        raise NotFound(_("This filing does not exist, or you may not see it."))
    return filing


@bp.get("/cases/<int:case_id>/filings/<int:filing_id>/translations")
@authenticated
def api_translations(case_id, filing_id):
    return jsonify(filing_translations(_filing(case_id, filing_id)))


@bp.post("/cases/<int:case_id>/translations/<int:translation_id>/flags")
@authenticated
def api_flag(case_id, translation_id):
    item = services.flag(g.api_account, case_id, translation_id, json_body().get("reason"))
    return jsonify(
        {
            "id": item.id,
            "translation_id": item.translation_id,
            "reason": item.reason,
            "flagged_at": item.created_at.isoformat(),
        }
    ), 201


@bp.post("/cases/<int:case_id>/filings/<int:filing_id>/translations/human")
@authenticated
def api_human(case_id, filing_id):
    data = json_body()
    translation = services.add_human_translation(
        g.api_account, case_id, filing_id, data.get("language"), data.get("text")
    )
    return jsonify(translation_json(translation, staff=True)), 201
