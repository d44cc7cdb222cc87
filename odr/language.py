"""Which language a text is in, when the filer did not say: py3langid, limited to the filing languages.

py3langid is small (5 MB, offline), deterministic and fast; below the confidence threshold the filer
is asked to choose, rather than a guess being stored as the authoritative language.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from odr.config import FILING_LANGUAGES
from odr.extensions import gettext as _
from odr.validation import check_language

MIN_CONFIDENCE = 0.6  # below this, a text with no declared language is not guessed: the filer is asked
# Above this, a text that detection places in another language than the declared one is questioned.
MISMATCH_CONFIDENCE = 0.95
_lock = threading.Lock()
_identifier = None


@dataclass(frozen=True)
class LanguageFinding:
    """How a filing's language was settled; ``language`` is the one it is treated (and translated) as."""

    language: str
    declared: str | None
    detected: str | None
    confidence: float

    def mismatch(self) -> dict | None:
        """The API's details of a declared language that detection contradicts."""
        if (
            self.declared
            and self.detected
            and self.detected != self.declared
            and self.confidence >= MISMATCH_CONFIDENCE
        ):
            return {
                "declared": self.declared,
                "detected": self.detected,
                "confidence": round(self.confidence, 3),
                "override": "language_confirmed",
            }
        return None


def _model():
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            identifier.set_languages(FILING_LANGUAGES)
            _identifier = identifier
    return _identifier


def classify(text: str) -> tuple[str | None, float]:
    """The most likely filing language of the text and how sure detection is (None: no letters at all)."""
    if not text or not any(ch.isalpha() for ch in text):
        return None, 0.0
    language, confidence = _model().classify(text)
    return language, float(confidence)


def detect(text: str) -> tuple[str | None, float]:
    """(language, confidence); language is None when the text does not say clearly enough."""
    language, confidence = classify(text)
    return (language if confidence >= MIN_CONFIDENCE else None), confidence


def filing_language(
    given, text: str, fields: dict, *, confirmed=False, name: str = "language", name_of: Callable[[str], str] = str
) -> LanguageFinding:
    """The language of a filing: the declared one checked against the text, or the detected one.

    A declared language that detection clearly contradicts is questioned (``<name>_confirmed`` lets the
    filer keep it); with none declared, the detected one is used when detection is sure enough.
    ``name_of`` names a language for the message (the caller's locale names; this layer has none)."""
    detected, confidence = classify(text)
    if given not in (None, ""):
        declared = check_language(given, fields, name)
        finding = LanguageFinding(declared, declared, detected, confidence)
        if declared and name not in fields and finding.mismatch() and confirmed not in (True, "1", "on", "true", "yes"):
            fields[name] = _(
                "This text looks like %(detected)s (%(detected_code)s), not %(declared)s "
                "(%(declared_code)s). Choose the language it is written in.",
                detected=name_of(detected or ""),
                detected_code=detected,
                declared=name_of(declared),
                declared_code=declared,
            )
            fields[f"{name}_confirmed"] = _(
                "Or confirm that it is written in %(declared)s.", declared=name_of(declared)
            )
        return finding
    if detected is None or confidence < MIN_CONFIDENCE:
        fields[name] = _("We could not tell which language this text is in. Please choose it.")
        return LanguageFinding("", None, detected, confidence)
    return LanguageFinding(detected, None, detected, confidence)
