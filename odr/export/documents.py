"""What other domains contribute to a bundle: translations and deposit certificates.

Translations come from the translation domain (``odr.translation.models.Translation``): every
finished translation of a filing, machine or human, becomes one rendition with its provenance.
The import is guarded so the export keeps working in a deployment without that domain.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from odr.cases.models import Filing
from odr.deposits.models import Deposit
from odr.extensions import db
from odr.translation.models import Translation, TranslationStatus

PROVENANCE_FIELDS = ("source_language", "origin", "engine", "model", "model_version", "pivot", "glossary_version",
                     "source_sha256", "translator_id", "requested_at", "completed_at")


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else getattr(value, "value", value)


def translations_of(filing: Filing) -> list[dict]:
    """Every finished translation of the filing: language, text, provenance, a name unique in the filing."""
    rows = db.session.scalars(select(Translation).where(Translation.filing_id == filing.id,
                                                        Translation.status == TranslationStatus.DONE)
                              .order_by(Translation.id))
    return [{"language": row.target_language, "text": row.text, "name": f"{row.target_language}.{row.id}",
             "provenance": dict({name: _plain(getattr(row, name)) for name in PROVENANCE_FIELDS},
                                translation_id=row.id, open_flags=len(row.open_flags))}
            for row in rows if row.text]


def deposit_certificate_for(sha256: str, party_ids: set[int]) -> str | None:
    """The earliest deposit certificate one of the case's parties holds for a work with this hash."""
    deposit = db.session.scalars(select(Deposit).where(Deposit.sha256 == sha256, Deposit.party_id.in_(party_ids))
                                 .order_by(Deposit.deposited_at, Deposit.id).limit(1)).first()
    return deposit.certificate if deposit else None
