"""Which language a text is in, when the filer did not say: py3langid, limited to the filing languages.

py3langid is small (5 MB, offline), deterministic and fast; below the confidence threshold the filer
is asked to choose, rather than a guess being stored as the authoritative language.
"""
from __future__ import annotations

import threading

from flask_babel import gettext as _

from odr.config import FILING_LANGUAGES
from odr.validation import check_language

MIN_CONFIDENCE = 0.6
_lock = threading.Lock()
_identifier = None


def _model():
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier
            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            identifier.set_languages(FILING_LANGUAGES)
            _identifier = identifier
    return _identifier


def detect(text: str) -> tuple[str | None, float]:
    """(language, confidence); language is None when the text does not say clearly enough."""
    if not text or not any(ch.isalpha() for ch in text):
        return None, 0.0
    language, confidence = _model().classify(text)
    return (language if confidence >= MIN_CONFIDENCE else None), float(confidence)


def filing_language(given, text: str, fields: dict, name: str = "language") -> str:
    """The language the filer chose, or the one detected in the text when they chose none."""
    if given not in (None, ""):
        return check_language(given, fields, name)
    language, _confidence = detect(text)
    if language is None:
        fields[name] = _("We could not tell which language this text is in. Please choose it.")
        return ""
    return language
