"""What other domains contribute to a bundle: translations and deposit certificates.

Translations come from the translation domain (``odr.translation.models.Translation``): every
finished translation of a filing, machine or human, becomes one rendition with its provenance.
The court's and the parties' languages a filing still lacks are translated at export time through
the translation service's pipeline, within a bounded wait; what cannot be translated (no model, the
wait ran out, the engine failed) is named in the bundle.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime

from sqlalchemy import select

from odr.cases.models import Filing
from odr.deposits.models import Deposit
from odr.extensions import db
from odr.translation.models import Translation, TranslationStatus
from odr.translation.services import pipeline

PROVENANCE_FIELDS = (
    "source_language",
    "origin",
    "engine",
    "model",
    "model_version",
    "pivot",
    "glossary_version",
    "source_sha256",
    "translator_id",
    "requested_at",
    "completed_at",
    "incomplete",
    "untranslated",
)  # sentences left in the original, never silently cut


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else getattr(value, "value", value)


def translations_of(filing: Filing) -> list[dict]:
    """Every finished translation of the filing: language, text, provenance, a name unique in the filing."""
    rows = db.session.scalars(
        select(Translation)
        .where(Translation.filing_id == filing.id, Translation.status == TranslationStatus.DONE)
        .order_by(Translation.id)
    )
    return [
        {
            "language": row.target_language,
            "text": row.text,
            "name": f"{row.target_language}.{row.id}",
            "provenance": dict(
                {name: _plain(getattr(row, name)) for name in PROVENANCE_FIELDS},
                translation_id=row.id,
                open_flags=len(row.open_flags),
            ),
        }
        for row in rows
        if row.text
    ]


def translate_missing(needs: dict[tuple[str, str], list[Filing]], wait_seconds: float) -> tuple[dict, list[dict]]:
    """Translate each filing into each language it lacks: {(filing id, language): translation}, and the gaps.

    ``needs`` maps (source, target) language pairs to the filings that lack the target. One engine batch per
    pair; no batch starts once ``wait_seconds`` have passed."""
    done: dict[tuple[int, str], dict] = {}
    gaps: list[dict] = []
    if not needs:
        return done, gaps
    try:
        work = pipeline()
    except Exception as exc:  # noqa: BLE001 - no usable engine (e.g. a broken packages folder): every pair is a gap
        return done, [
            {"filing_id": f.id, "language": target, "code": "no_service", "reason": f"no translation service ({exc})"}
            for (_source, target), filings in needs.items()
            for f in filings
        ]
    deadline = time.monotonic() + wait_seconds
    for (source, target), filings in sorted(needs.items()):

        def gap(code: str, reason: str, filings=filings, target=target) -> None:
            gaps.extend({"filing_id": f.id, "language": target, "code": code, "reason": reason} for f in filings)

        if time.monotonic() >= deadline:
            gap("wait_over", f"not translated within the export's wait of {wait_seconds:g} s")
            continue
        try:
            route = work.route(source, target)
        except LookupError:
            gap("no_model", f"no translation model installed for {source} to {target}")
            continue
        try:
            with db.session.begin_nested():  # translation memory rows; undone alone if the engine fails
                results = work.translate([f.text for f in filings], source, target)
        except Exception as exc:  # noqa: BLE001 - an engine failure must not stop the escalation
            gap("engine_failed", f"the translation engine failed ({type(exc).__name__})")
            continue
        for filing, result in zip(filings, results, strict=True):
            done[(filing.id, target)] = {
                "language": target,
                "text": result.text,
                "name": f"{target}.export",
                "provenance": {
                    "origin": "machine",
                    "source_language": source,
                    "engine": work.engine.label,
                    "model": " → ".join(m.name for m in route),
                    "model_version": " → ".join(m.version for m in route),
                    "pivot": route[0].to_code if len(route) > 1 else None,
                    "glossary_version": work.glossary.version,
                    "source_sha256": hashlib.sha256(filing.text.encode("utf-8")).hexdigest(),
                    "translated_at_export": True,
                },
            }
    return done, gaps


def deposit_certificate_for(sha256: str, party_ids: set[int]) -> str | None:
    """The earliest deposit certificate one of the case's parties holds for a work with this hash."""
    deposit = db.session.scalars(
        select(Deposit)
        .where(Deposit.sha256 == sha256, Deposit.party_id.in_(party_ids))
        .order_by(Deposit.deposited_at, Deposit.id)
        .limit(1)
    ).first()
    return deposit.certificate if deposit else None
