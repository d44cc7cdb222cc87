"""How each filing of a case page reads for its reader: the original, or a labelled translation (view model).

The translations of every filing on the page are read in one query, with their translators and flags;
the template only renders. Requesting a missing translation is the translation service's business.
"""

from __future__ import annotations

from dataclasses import dataclass

from odr.cases.pages import CaseContext, case_panel
from odr.config import FILING_LANGUAGES
from odr.translation import services
from odr.translation.models import Translation, TranslationOrigin, TranslationStatus
from odr.vocabulary import CaseRole


@dataclass(frozen=True)
class Reading:
    """One filing as its reader needs it."""

    language: str | None  # the reader's language when it is not the original's; None: the original is read
    human: Translation | None
    machine: Translation | None
    translator_name: str  # of the human translation, if any
    side_by_side: bool  # the mediator reads original and translation next to each other
    may_flag: bool  # services.flag: a party, on a finished machine translation
    may_translate: bool  # services.add_human_translation: the case's mediator
    translations: list[Translation]  # every translation of the filing, for the mediator
    human_languages: list[str]  # languages a human translation may be published in

    @property
    def shown(self) -> Translation | None:
        return self.human or self.machine


@case_panel("readings")
def readings_panel(context: CaseContext) -> dict[int, Reading]:
    """The reading of each filing the page shows, by filing id (reading requests nothing: translations are
    requested when a filing arrives and when a reader joins)."""
    account, roles = context.account, context.roles
    filings = context.filings
    # What depends only on a filing's language is asked once per language shown, not once per filing.
    one_in = {f.language for f in filings}
    needed = {code: services.reader_language(account, code) for code in one_in}
    human_languages = {code: [other for other in FILING_LANGUAGES if other != code] for code in one_in}
    rows = _translations([f.id for f in filings])
    is_mediator = CaseRole.MEDIATOR in roles
    # A filing without translations reads as any other of its language: one reading for them all.
    untranslated = {
        code: Reading(
            language=needed[code],
            human=None,
            machine=None,
            translator_name="",
            side_by_side=is_mediator,
            may_flag=False,
            may_translate=is_mediator,
            translations=[],
            human_languages=human_languages[code],
        )
        for code in one_in
    }
    readings = {}
    for filing in filings:
        found = rows.get(filing.id)
        if not found:
            readings[filing.id] = untranslated[filing.language]
            continue
        language = needed[filing.language]
        own = [t for t in found if t.target_language == language]
        human = next((t for t in own if t.origin == TranslationOrigin.HUMAN), None)
        machine = next((t for t in own if t.origin == TranslationOrigin.MACHINE), None)
        shown = human or machine
        readings[filing.id] = Reading(
            language=language,
            human=human,
            machine=machine,
            translator_name=human.translator.display_name if human and human.translator else "",
            side_by_side=is_mediator,
            may_flag=context.is_party
            and shown is not None
            and shown.origin == TranslationOrigin.MACHINE
            and shown.status == TranslationStatus.DONE,
            may_translate=is_mediator,
            translations=found if is_mediator else [],
            human_languages=human_languages[filing.language],
        )
    return readings


def _translations(filing_ids: list[int]) -> dict[int, list[Translation]]:
    return services.translations_by_filing(filing_ids)
