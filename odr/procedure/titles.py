"""Translatable labels for the states and actions procedures use.

Procedure files name states and transitions with stable identifiers; the UI shows
these labels in the reader's language, and falls back to the file's own title.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from babel.dates import format_date
from flask import current_app

from odr.cases.models import RIGHT_TYPE_TITLES, RightType
from odr.extensions import gettext as _
from odr.extensions import lazy_gettext as _l
from odr.vocabulary import per_locale

STATE_LABELS = {
    "awaiting_response": _l("Awaiting the seller's response"),
    "negotiation": _l("Negotiation"),
    "facilitated_settlement": _l("Facilitated settlement"),
    "escalated": _l("Escalated to the court"),
    "final_stage_open": _l("Facilitated settlement ended: a party may refer the case to the court"),
    "settled": _l("Settled"),
    "withdrawn": _l("Withdrawn"),
    "decided": _l("Decided by the court"),
    "counter_notice_forwarded": _l("Counter-notice forwarded to the right holder"),
    "counter_notice_received": _l("Counter-notice received; restoration pending"),
    "internal_complaint": _l("Internal complaint against the measure"),
    "complaint_reported": _l("Complaint to an authority reported; the measures stay"),
    "decided_by_authority": _l("Infringement found by the authority; the measures stay"),
}

ACTION_LABELS = {
    "respond": _l("Answer the notice"),
    "counter_notice": _l("File a counter-notice"),
    "request_mediation": _l("Ask for a mediator"),
    "settle": _l("Settle"),
    "withdraw": _l("Withdraw the notice"),
    "escalate": _l("Escalate to the court"),
    "decide": _l("Record the court's decision"),
    "report_complaint": _l("Report a complaint to an administrative authority"),
    "complaint_ended": _l("Report that the complaint was dismissed or withdrawn"),
    "complaint_upheld": _l("Report that the authority found infringement"),
    "suit_ended": _l("Report that the lawsuit was withdrawn or dismissed without a judgment"),
    "report_suit": _l("Report a court action against the seller"),
    "consent": _l("Consent to the measure"),
    "provider_judgement": _l("Take the measure on the platform's own judgement"),
    "reverse_measure": _l("Reverse the measure (complaint upheld)"),
    "maintain_measure": _l("Maintain the measure (complaint rejected)"),
}

TIMER_LABELS = {
    "response_period": _l("Time for the seller to respond"),
    "negotiation_period": _l("Time to negotiate"),
    "facilitation_period": _l("Time for facilitated settlement"),
    "restore_period": _l("Time for the right holder to report a complaint or lawsuit"),
    "restore_window": _l("Restoration window after the counter-notice"),
    "complaint_period": _l("Time to decide the internal complaint"),
    "response_period_idpa": _l("Time for the seller to object to the measure"),
}

PROCEDURE_LABELS = {
    "generic-odr": _l("Generic ODR procedure (UNCITRAL Technical Notes)"),
    "cn-ecl": _l("China: E-Commerce Law and Civil Code notice and counter-notice"),
    "us-dmca": _l("United States: DMCA notice and counter-notice (copyright)"),
    "us-marketplace": _l("United States: marketplace procedure (trade marks, patents, designs)"),
    "eu-dsa": _l("European Union: Digital Services Act notice and action"),
    "jp-plla": _l("Japan: inquiry to the seller before the measure"),
    "gb-ecr": _l("United Kingdom: notice under the Electronic Commerce Regulations"),
}

# What a notice must contain, by element name in jurisdictions/*.yaml.
ELEMENT_LABELS = {
    "right_certificate": _l(
        "Proof of your right (file): the registration or patent certificate, or for copyright a registration "
        "certificate or other proof of authorship"
    ),
    "prima_facie_evidence_file": _l(
        "Prima facie evidence of infringement (file): e.g. a test purchase or a comparison"
    ),
    "truthfulness_guarantee": _l(
        "I guarantee in writing that this notice is true, and I know that I bear legal liability for "
        "a notice that is wrong and harms the seller."
    ),
    "patent_kind": _l("Kind of patent"),
    "patent_evaluation_or_comparison": _l(
        "Patent evaluation report, or a comparison of the product's features with the patent (file)"
    ),
    "prima_facie_evidence": _l("Prima facie evidence of infringement (describe it; attach the files)"),
    "identity": _l("Your true identity: full legal name, address and registration or ID number"),
    "signature": _l("Signature of the person authorised to act (type your full name)"),
    "work": _l("The copyrighted work claimed to be infringed"),
    "contact": _l("Your full name, postal address, telephone number and e-mail address"),
    "right": _l("The right infringed (registration, patent or certificate number)"),
    "good_faith_statement": _l(
        "I believe in good faith that the use complained of is not authorised by the right "
        "holder, its agent, or the law."
    ),
    "accuracy_statement": _l(
        "The information in this notice is accurate and, under penalty of perjury, I am "
        "authorised to act on behalf of the owner of the right."
    ),
    "bona_fide_statement": _l(
        "I believe in good faith that the information and allegations in this notice are accurate and complete."
    ),
    "non_infringement_evidence": _l("Prima facie evidence that you do not infringe (describe it; attach the files)"),
    "removed_material": _l("The material that was removed and where it appeared before removal"),
    "mistake_statement": _l(
        "Under penalty of perjury, I believe in good faith that the material was removed by "
        "mistake or misidentification."
    ),
    "consent_to_jurisdiction": _l(
        "I consent to the jurisdiction of the Federal District Court for the judicial district in which my "
        "address is located or, if my address is outside the United States, for any judicial district in "
        "which the service provider may be found, and I will accept service of process from the person who "
        "sent the notice or their agent."
    ),
    "listings": _l("The exact location of each listing (a URL or the platform's listing ID)"),
    "explanation": _l("An explanation of why the listings infringe your right (the notice text)"),
    "notifier": _l("Your name and e-mail address (taken from your account)"),
}

# What the body that receives a case referred to the final stage does, by its kind (jurisdictions/*.yaml).
ESCALATION_KIND_TEXTS = {
    "court": _l(
        "The court hears the parties under its own procedure and decides the dispute. The platform sends it "
        "the case file; it does not decide itself, and it carries out the court's decision."
    ),
    "authority": _l(
        "The authority examines the complaint under its own procedure. It is not a court: the platform keeps "
        "the measures while the complaint is pending and carries out the authority's decision."
    ),
}

# What a filer is told before filing, by warning name in jurisdictions/*.yaml (notice.warnings).
WARNING_LABELS = {
    "us_512f_notice": _l(
        "Under 17 U.S.C. §512(f), anyone who knowingly materially misrepresents in a notice that material "
        "or activity is infringing is liable for the damages, including costs and attorneys' fees, that "
        "the seller, the copyright owner or the platform incurs because the material was removed."
    ),
    "us_512f_counter_notice": _l(
        "Under 17 U.S.C. §512(f), anyone who knowingly materially misrepresents in a counter-notice that "
        "material was removed by mistake or misidentification is liable for the damages, including costs "
        "and attorneys' fees, that the copyright owner or the platform incurs because the material was "
        "restored."
    ),
    "cn_wrongful_notice": _l(
        "Under Chinese law (E-Commerce Law Art. 42(3), Civil Code Art. 1195(3)), a notice that is wrong and "
        "causes the seller loss makes you liable for that loss; a notice sent in bad faith makes you liable "
        "for double the loss. The seller may claim that your notice was wrong; a finding is recorded in your "
        "conduct record and goes to the court with the case."
    ),
    "cn_malicious_declaration": _l(
        "Under the Supreme People's Court Reply on network IP disputes (Fa Shi [2020] No. 9, Art. 4), a seller "
        "who in bad faith declares that it does not infringe, so that the measures end and the right holder "
        "suffers loss, is liable for that loss, and the right holder may ask the court for punitive damages under "
        "the applicable laws."
    ),
    "gb_unjustified_threats": _l(
        "A report to a marketplace that a listing infringes a patent, a registered trade mark, a "
        "registered design or an unregistered design right can be an actionable threat of infringement "
        "proceedings: the seller, or anyone aggrieved, may sue you for a declaration, an injunction and "
        "damages. Asking someone to stop doing anything in relation to a product is not a permitted "
        "purpose, so this notice is not a permitted communication. The Court of Appeal held marketplace "
        "infringement reports to be actionable threats (NOCO v Shenzhen Carku [2023] EWCA Civ 1502). "
        "Threats are not actionable when made to the manufacturer or importer of the product (for trade "
        "marks: who applied the sign or supplied the services), or when they concern only those acts; "
        "justification (the acts infringe) is a defence."
    ),
}

# Why a case follows its procedure; keys stored with the case, rendered in the reader's language.
REASONS = {
    "platform_jurisdiction": _l("The notice was filed under the law of the platform's jurisdiction: %(jurisdiction)s."),
    "dsa_applies_to_union_market": _l(
        "The listing targets %(market)s, in the European Union: the Digital Services "
        "Act applies to services offered there wherever the platform is established "
        "(Art. 2(1))."
    ),
    "member_state_calendar": _l("The listing targets %(market)s: its public holidays and time zone apply."),
    "default_member_state": _l(
        "No target market was given: the public holidays and time zone of the platform's "
        "member state, %(market)s, apply."
    ),
    "cross_border_market": _l(
        "The listing targets %(market)s; the notice-and-takedown law of the platform's "
        "jurisdiction, %(jurisdiction)s, governs the platform's measures."
    ),
    "right_type_own_procedure": _l("The law has its own procedure for this type of right: %(right_type)s."),
    "right_type_contractual_procedure": _l(
        "No statute sets a notice procedure for this type of right "
        "(%(right_type)s): the marketplace's contractual procedure applies."
    ),
    "gb_threats_warning": _l(
        "Warning: in the United Kingdom a report to a marketplace about a patent, trade mark or design "
        "can be an actionable unjustified threat, for which the seller may sue you; asking for a listing "
        "to be taken down is not a permitted purpose."
    ),
    "procedure_version": _l("Procedure: %(procedure)s, version %(version)s, in force on the filing date."),
    "deadline_calendar": _l(
        "Deadlines end at the end of the day in %(time_zone)s; business days follow the public "
        "holidays of %(calendar)s."
    ),
}


# The measures a notice may ask for (``notice_measures`` in rules/), in the reader's language.
NOTICE_MEASURE_LABELS = {
    "take_down": _l("Take the listings down"),
    "not_purchasable_in": _l("Keep the listings visible but not purchasable in named regions"),
    "remove_element": _l("Remove one element of the listings (e.g. a video's background music)"),
}


def notice_measure_label(kind: str) -> str:
    return str(NOTICE_MEASURE_LABELS.get(kind, kind))


def territory_name(code: str) -> str:
    """A country or region code in the reader's language (CLDR names)."""
    from flask_babel import get_locale

    locale = get_locale()
    return (locale.territories.get(code) if locale is not None else None) or code


@lru_cache(maxsize=4)
def _holiday_names(folder: str) -> dict[str, dict[str, str]]:
    path = Path(folder) / "names" / "holidays.yaml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("names", {}) if path.exists() else {}


_OBSERVED = re.compile(r"(.+) \(observed\)")
_SUBSTITUTED = re.compile(r"Day off \(substituted from (\d\d)/(\d\d)/(\d{4})\)")


def holiday_label(name: str, locale: str) -> str:
    """A holiday's English name (as the holidays package and our calendar data give it) in the reader's language,
    from jurisdictions/names/holidays.yaml; its forms "X (observed)" and "Day off (substituted from M/D/Y)" are
    sentences of the catalogs. A name without a translation stays as it is."""
    if "; " in name:  # two holidays on one day
        return "; ".join(holiday_label(part, locale) for part in name.split("; "))
    observed = _OBSERVED.fullmatch(name)
    if observed:
        return _("%(holiday)s (observed)", holiday=holiday_label(observed.group(1), locale))
    substituted = _SUBSTITUTED.fullmatch(name)
    if substituted:
        month, day, year = (int(g) for g in substituted.groups())
        return _(
            "Day off in exchange for the working day of %(date)s",
            date=format_date(date(year, month, day), "long", locale=locale),
        )
    names = _holiday_names(current_app.config["ODR"]["JURISDICTIONS_DIR"]).get(name) or {}
    return names.get(locale) or names.get(locale.split("_")[0]) or name


def zone_name(zone: str) -> str:
    """A time zone as its city, in the reader's language (CLDR), e.g. 上海 for Asia/Shanghai."""
    from babel.dates import get_timezone, get_timezone_location
    from flask_babel import get_locale

    try:
        return get_timezone_location(get_timezone(zone), locale=get_locale() or "en", return_city=True)
    except LookupError:
        return zone


def reason_text(reason: dict) -> str:
    template = REASONS.get(reason.get("key"))
    if template is None:
        return str(reason.get("key"))
    params = dict(reason.get("params") or {})
    for key in ("jurisdiction", "market", "calendar"):
        if key in params:
            params[key] = territory_name(params[key])
    if "procedure" in params:
        params["procedure"] = procedure_label(params["procedure"])
    if "time_zone" in params:
        params["time_zone"] = zone_name(params["time_zone"])
    if "right_type" in params:
        try:
            params["right_type"] = str(RIGHT_TYPE_TITLES[RightType(params["right_type"])])
        except ValueError:
            pass
    return str(template) % params


def procedure_label(code: str, fallback: str = "") -> str:
    return str(PROCEDURE_LABELS.get(code, fallback or code))


def escalation_kind_text(kind: str) -> str:
    return str(ESCALATION_KIND_TEXTS.get(kind, ""))


def warning_label(name: str) -> str:
    return str(WARNING_LABELS.get(name, name.replace("_", " ")))


# The answers a choice element offers (jurisdictions/*.yaml, ``options``).
OPTION_LABELS = {
    "invention": _l("Invention patent"),
    "utility_model": _l("Utility model"),
}


# What a report names and carries (odr.cases.reports), by forum where the words differ.
REPORT_FIELD_LABELS = {
    ("body", "authority"): _l("The administrative authority that accepted the complaint"),
    ("body", "court"): _l("The people's court that accepted the lawsuit"),
    ("case_number", "authority"): _l("The authority's case number"),
    ("case_number", "court"): _l("The court's case number"),
    ("acceptance_notice", "authority"): _l("the authority's notice accepting the complaint"),
    ("acceptance_notice", "court"): _l("the court's notice accepting the case"),
    ("decision", "authority"): _l("the authority's decision or notice of withdrawal"),
    ("decision", "court"): _l("the court's ruling on withdrawal or dismissal"),
}
REPORT_OUTCOME_LABELS = {
    "dismissed": _l("Dismissed"),
    "withdrawn": _l("Withdrawn"),
    "infringement_found": _l("Infringement found"),
}


def report_field_label(name: str, forum: str) -> str:
    return str(REPORT_FIELD_LABELS.get((name, forum), name.replace("_", " ")))


def report_outcome_label(name: str) -> str:
    return str(REPORT_OUTCOME_LABELS.get(name, name.replace("_", " ")))


def option_label(name: str) -> str:
    return str(OPTION_LABELS.get(name, name.replace("_", " ")))


def element_label(name: str) -> str:
    return str(ELEMENT_LABELS.get(name, name.replace("_", " ")))


@per_locale
def state_label(name: str) -> str:
    return str(STATE_LABELS.get(name, name.replace("_", " ")))


@per_locale
def action_label(name: str) -> str:
    return str(ACTION_LABELS.get(name, name.replace("_", " ")))


@per_locale
def timer_label(name: str) -> str:
    return str(TIMER_LABELS.get(name, name.replace("_", " ")))


# What happens to a listing under agreed terms or a court's decision (odr.cases.services.LISTING_MEASURES).
LISTING_MEASURE_LABELS = {
    "keep": _l("Keep"),
    "remove": _l("Remove"),
    "modify": _l("Modify"),
    "geo_restrict": _l("Restrict by region"),
}
# What a court's decision orders on the listings (odr.export.court.DECIDED_MEASURES), as the decision form names it.
DECIDED_MEASURE_LABELS = {
    "keep_in_force": _l("Keep the measures now in force"),
    "take_down": _l("Take the listings down"),
    "restore": _l("Restore the listings"),
    "modify": _l("Modify the listings"),
    "region_restrict": _l("Not purchasable in named regions"),
    "remove_element": _l("Remove one element"),
}
# The court's outcome (odr.export.court.OUTCOMES).
OUTCOME_LABELS = {
    "upheld": _l("Claim upheld"),
    "partly_upheld": _l("Claim partly upheld"),
    "dismissed": _l("Claim dismissed"),
}


def listing_measure_label(code: str) -> str:
    """What agreed terms or a court's decision do to the listings, in the reader's language (either vocabulary:
    decisions entered before the court's measures were named for what they do use the agreed terms' codes)."""
    return str(LISTING_MEASURE_LABELS.get(code) or DECIDED_MEASURE_LABELS.get(code) or code)


def outcome_label(code: str) -> str:
    return str(OUTCOME_LABELS.get(code, code))
