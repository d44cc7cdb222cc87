"""Demo data: parties in four countries and languages, and a case in every stage."""

from __future__ import annotations

import io
import zlib
from datetime import timedelta

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from odr.accounts.models import Account, Party, Role
from odr.cases import services
from odr.cases.models import Case
from odr.dsa.services import decide_notice
from odr.export.services import pin_platform_key
from odr.extensions import db
from odr.mediation import agreement, bidding
from odr.mediation.services import accept_appointment, assign_mediator, pending_appointments
from odr.models_base import utcnow
from odr.procedure.services import sweep_deadlines

PASSWORD = "demo-password"

PEOPLE = [
    # role, e-mail, name, organisation, country, language, time zone
    (
        Role.RIGHT_HOLDER,
        "lucia@flamenco-disenos.es",
        "Lucía García",
        "Flamenco Diseños S.L.",
        "ES",
        "es",
        "Europe/Madrid",
    ),
    (Role.SELLER, "wei@shenzhen-gadgets.cn", "王伟", "深圳小工具贸易有限公司", "CN", "zh", "Asia/Shanghai"),
    (Role.SELLER, "amal@souk-crafts.example", "أمل حداد", "Souk Crafts", "MA", "ar", "Africa/Casablanca"),
    (Role.MEDIATOR, "jonas@mediation.example.de", "Jonas Becker", "Becker Mediation", "DE", "de", "Europe/Berlin"),
    (
        Role.COURT,
        "clerk@internet-court.example.cn",
        "Court clerk",
        "Hangzhou Internet Court (demo)",
        "CN",
        "zh",
        "Asia/Shanghai",
    ),
    (Role.ADMIN, "admin@odr.example", "Platform admin", "ODR platform", "GB", "en", "Europe/London"),
]


def _account(role, email, name, organisation, country, language, tz) -> Account:
    party = Party(name=organisation, country=country, preferred_language=language, time_zone=tz)
    if role == Role.COURT:
        party.receives_escalations_for = "CN,US,EU,JP,GB"
    languages = {"de": "de,en,es,zh"}.get(language, language)
    account = Account(
        email=email,
        password_hash=generate_password_hash(PASSWORD),
        display_name=name,
        role=role,
        party=party,
        time_zone=tz,
        languages=languages,
        locale={"zh": "zh_Hans"}.get(language, language),
    )
    db.session.add_all([party, account])
    if role == Role.COURT:
        db.session.flush()
        pin_platform_key(account)
    return account


# What the jurisdictions ask of a notice (jurisdictions/*.yaml): the demo right holder's answers.
DEMO_NOTICE_ELEMENTS = {
    "prima_facie_evidence": "Certificado de registro y compra de prueba del 2026-01-15.",
    "identity": "Flamenco Diseño S.L., Calle Mayor 1, 28013 Madrid, CIF B12345678",
    "signature": "Lucía Fernández",
    "work": "Catálogo fotográfico 2025",
    "right": "EUTM 018123456",
    "contact": "Lucía Fernández, Calle Mayor 1, 28013 Madrid, +34 910 000 000",
    "good_faith_statement": True,
    "accuracy_statement": True,
    "bona_fide_statement": True,
    "permitted_communication": True,
    "truthfulness_guarantee": True,
    "patent_kind": "invention",
}
# The files a Chinese notice carries as elements (jurisdictions/CN.yaml): certificate, evidence, evaluation.
DEMO_ELEMENT_FILES = {
    "right_certificate": ("certificado-registro.pdf", b"%PDF-1.4\n% demo registration certificate\n"),
    "prima_facie_evidence_file": ("compra-de-prueba.pdf", b"%PDF-1.4\n% demo test purchase\n"),
    "patent_evaluation_or_comparison": ("comparacion-diseno.pdf", b"%PDF-1.4\n% demo design comparison\n"),
}


def _notice(holder, seller, title, text, jurisdiction, right_type, at, evidence: bytes | None = None) -> Case:
    data = {
        "jurisdiction": jurisdiction,
        "right_type": right_type,
        "title": title,
        "text": text,
        "language": "es",
        "listings": [f"https://marketplace.example/item/{zlib.crc32(title.encode())}"],
        "remedy_sought": "Retirada del anuncio y compensación.",
        "respondent": {"email": seller.email},
        "elements": DEMO_NOTICE_ELEMENTS,
    }
    uploads = [services.Upload(io.BytesIO(evidence), "registro-marca.pdf")] if evidence else []
    files = {
        name: services.Upload(io.BytesIO(content), filename) for name, (filename, content) in DEMO_ELEMENT_FILES.items()
    }
    return services.file_notice(holder, data, uploads, element_files=files, at=at).obj


def load_demo() -> list[tuple[str, str, str]]:
    """Load the demo into an empty database; return (role, e-mail, password) for each login."""
    if db.session.scalar(select(Account).limit(1)) is not None:
        return []
    people = [_account(*p) for p in PEOPLE]
    db.session.commit()
    holder, seller, seller_ar, mediator, _court, admin = people
    now = utcnow()
    pdf = b"%PDF-1.4\n% demo trademark registration certificate\n"

    # 1. Just filed: waiting for the seller's answer.
    _notice(
        holder,
        seller,
        "Copias del bolso «Alhambra»",
        "El vendedor ofrece copias de nuestro bolso registrado.",
        "CN",
        "design",
        now - timedelta(days=1),
        pdf,
    )
    # 2. Answered: negotiating, with an offer on the table.
    case = _notice(
        holder,
        seller,
        "Uso de la marca FLAMENCO",
        "Uso no autorizado de la marca FLAMENCO.",
        "EU",
        "trademark",
        now - timedelta(days=3),
        pdf,
    )
    # The platform's reviewer decides the notice with reasons (DSA Art. 16): the listing is taken down.
    decide_notice(
        admin,
        case.id,
        {
            "outcome": "restrict",
            "ground": "illegal_content",
            "legal_ground": "Art. 9(2)(a) Regulation (EU) 2017/1001 (EU trade mark)",
            "explanation": "The listing uses the sign FLAMENCO, identical to the registered EU trade mark, for bags.",
            "facts": "Registration certificate EUTM 018123456 filed with the notice.",
            "language": "en",
        },
        at=now - timedelta(days=3) + timedelta(hours=2),
    )
    services.add_filing(
        seller,
        case.id,
        {"kind": "response", "language": "zh", "text": "我们从授权经销商处购买了这些商品。"},
        at=now - timedelta(days=2),
    )
    services.add_filing(
        holder,
        case.id,
        {
            "kind": "offer",
            "language": "es",
            "text": "Retiren el anuncio y paguen 800 EUR.",
            "terms": {"amount": "800", "currency": "EUR", "listing_measure": "remove"},
        },
        at=now - timedelta(days=1),
    )
    # 3. Silence: the response period ran out, a mediator is facilitating.
    case = _notice(
        holder,
        seller_ar,
        "Fotografías copiadas",
        "Se usan nuestras fotografías sin licencia.",
        "GB",
        "copyright",
        now - timedelta(days=10),
    )
    sweep_deadlines(now)
    assign_mediator(admin, case.id, mediator.id)
    accept_appointment(mediator, pending_appointments(mediator)[0].id, declared=True)
    services.add_filing(
        mediator, case.id, {"kind": "message", "language": "de", "text": "Ich schlage eine Lizenz für die Fotos vor."}
    )
    # The ladder: a private caucus with the seller, a blind-bidding round that did not settle,
    # and an agreement in Spanish and Arabic with a proportionate measure, awaiting signatures.
    services.add_filing(
        seller_ar,
        case.id,
        {"kind": "message", "language": "ar", "caucus": True, "text": "يمكننا دفع مبلغ صغير إذا بقي المنتج معروضاً."},
    )
    bidding.open_bidding(
        mediator, case.id, {"currency": "EUR", "listing_measure": "modify", "max_rounds": 3, "gap_percent": 30}
    )
    bidding.submit_bid(holder, case.id, "1200", accept_rules=True)
    bidding.submit_bid(seller_ar, case.id, "300", accept_rules=True)
    agreement.draft_agreement(
        mediator,
        case.id,
        {
            "authoritative_language": "es",
            "texts": {
                "es": "La vendedora obtiene una licencia para las fotografías y paga 400 EUR.",
                "ar": "تحصل البائعة على ترخيص للصور وتدفع 400 يورو.",
            },
            "terms": {"amount": "400", "currency": "EUR", "licence": "Licencia no exclusiva, 2 años"},
            "measures": [{"kind": "not_purchasable_in", "listing": case.listings[0].locator, "regions": ["ES"]}],
        },
    )
    # 4. Settled: both parties accepted the same text.
    case = _notice(
        holder,
        seller,
        "Logotipo en fundas de móvil",
        "Nuestro logotipo aparece en fundas.",
        "US",
        "trademark",
        now - timedelta(days=6),
    )
    services.add_filing(
        seller,
        case.id,
        {"kind": "counter_notice", "language": "zh", "text": "这是我们自己的设计。"},
        at=now - timedelta(days=5),
    )
    proposal = services.add_filing(
        holder,
        case.id,
        {
            "kind": "settlement",
            "language": "es",
            "text": "El vendedor modifica el diseño; no hay pago.",
            "terms": {"listing_measure": "modify"},
        },
        at=now - timedelta(days=4),
    ).obj
    for party_account in (holder, seller):
        services.accept_settlement(party_account, case.id, proposal.id, services.text_sha256(proposal))
    # 5. Escalated: negotiation failed and the case went to the court.
    case = _notice(
        holder,
        seller,
        "Patente del cierre magnético",
        "El producto reproduce nuestra patente.",
        "CN",
        "patent",
        now - timedelta(days=8),
        pdf,
    )
    services.add_filing(
        seller,
        case.id,
        {"kind": "response", "language": "zh", "text": "我们的产品不侵犯该专利。"},
        at=now - timedelta(days=7),
    )
    services.take_action(holder, case.id, "escalate")
    return [(p[0].value, p[1], PASSWORD) for p in PEOPLE]
