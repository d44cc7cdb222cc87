"""The OpenAPI 3.1 document of /api/v1 (a test checks that every API route is described here)."""

from __future__ import annotations

from odr.cases.models import PRODUCT_CATEGORIES

ERROR = {"$ref": "#/components/schemas/Error"}


def _token_request() -> dict:
    op = _op(
        "Exchange e-mail, password and (with two-step sign-in) the current code for a bearer token (it expires). "
        "401 with code second_factor_required: send totp_code; invalid_second_factor: the code is wrong or used",
        body="Credentials",
        ok="201",
        auth=False,
    )
    op["responses"]["403"] = {
        "description": "A mediator, court or administrator who has not set up two-step sign-in yet "
        "(second_factor_enrolment_required): do it on the web first",
        "content": {"application/json": {"schema": ERROR}},
    }
    return op


def _op(
    summary: str,
    *,
    body: str | None = None,
    ok: str = "200",
    idempotent: bool = False,
    multipart: bool = False,
    auth: bool = True,
    produces: str = "application/json",
) -> dict:
    op: dict = {
        "summary": summary,
        "responses": {
            ok: {"description": "Success", "content": {produces: {}}},
            "400": {"description": "Malformed request", "content": {"application/json": {"schema": ERROR}}},
            "401": {
                "description": "Missing or invalid bearer token",
                "content": {"application/json": {"schema": ERROR}},
            },
            "404": {
                "description": "Unknown, or not visible to you",
                "content": {"application/json": {"schema": ERROR}},
            },
            "409": {
                "description": "Not allowed in the case's current state or for your role",
                "content": {"application/json": {"schema": ERROR}},
            },
            "422": {"description": "Invalid fields", "content": {"application/json": {"schema": ERROR}}},
            "429": {
                "description": "Too many requests from your account or address (see Retry-After)",
                "content": {"application/json": {"schema": ERROR}},
            },
        },
    }
    if auth:
        op["responses"]["403"] = {
            "description": "Your role may not do this",
            "content": {"application/json": {"schema": ERROR}},
        }
    else:
        op["security"] = []
    if body:
        content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}}
        if multipart:
            content["multipart/form-data"] = {
                "schema": {
                    "type": "object",
                    "properties": {
                        "data": {"type": "string", "description": f"{body} as JSON"},
                        "evidence": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    },
                }
            }
        op["requestBody"] = {"required": True, "content": content}
    if idempotent:
        op["parameters"] = [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": 128},
                "description": "A retry with the same key and body returns the first result (200).",
            }
        ]
    return op


def _batch_op() -> dict:
    op = _op(
        "File up to 10,000 notices at once (odr/cases/bulk.py): a JSON array, or NDJSON with one notice per "
        "line (read line by line; a JSON array is parsed whole, within the largest request the deployment "
        "takes). Each item has the fields of a notice (POST /cases) and an optional item_key: an item is filed "
        "once per key, and without keys a retry with the same Idempotency-Key files nothing twice. Items of "
        "one right holder that differ only in their listings (same seller, jurisdiction, right and statement) "
        "open one case with all their listings, up to 500 per case. Written 500 items per commit; the answer "
        "gives each item's status (created, replayed or refused), its case (reference and links) or its error "
        "(fields in the caller's language, the line number for NDJSON), and the cases with their items. "
        "More than 10,000 items: 422 too_many_items, nothing filed",
        idempotent=True,
    )
    notice = {"$ref": "#/components/schemas/Notice"}
    keyed = {"allOf": [notice, {"type": "object", "properties": {"item_key": {"type": "string", "maxLength": 100}}}]}
    op["requestBody"] = {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "array", "maxItems": 10000, "items": keyed}},
            "application/x-ndjson": {"schema": {"type": "string", "description": "One notice (JSON) per line"}},
        },
    }
    op["responses"]["200"]["content"]["application/json"] = {
        "schema": {
            "type": "object",
            "required": ["items", "cases", "summary"],
            "properties": {
                "items": {"type": "array", "items": {"type": "object"}},
                "cases": {"type": "array", "items": {"type": "object"}},
                "summary": {"type": "object"},
            },
        }
    }
    op["responses"]["413"] = {"description": "The body is larger than the deployment accepts"}
    return op


def _forbidden_to_others(op: dict) -> dict:
    op["responses"]["403"] = {
        "description": "Your role may not do this",
        "content": {"application/json": {"schema": ERROR}},
    }
    return op


CASE_ID = {"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}
FILING_ID = {"name": "filing_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_CONFIRMED = {
    "type": "boolean",
    "description": ("Keep the declared language although detection finds another one in the text (see Error.details)"),
}


# Every list that can grow is read a page at a time (odr.pagination): the route, and the key of its items.
PAGINATED = {
    "/cases": "cases",
    "/cases/{case_id}/events": "events",
    "/cases/{case_id}/filings": "filings",
    "/inbox": "deliveries",
    "/measures": "measures",
    "/mediation/desk": "cases",
    "/mediation/appointments": "appointments",
    "/court/exports": "exports",
    "/deposits": "deposits",
    "/linkage/contests": "contests",
    "/alliance/records/about-me": "records",
    "/webhooks/endpoints": "endpoints",
    "/webhooks/deliveries": "deliveries",
    "/conduct/appeals": "appeals",
    "/tokens": "tokens",
    "/dsa/reviews": "reviews",
    "/dsa/complaints": "complaints",
    "/transparency/register": "notices",
    "/transparency/lumen": "notices",
    "/audit": "entries",
    "/todo": "obligations",
}

PAGE_PARAMETERS = [
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50},
        "description": "How many items per page (the case's events: 500 by default).",
    },
    {
        "name": "cursor",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "Where the page starts: the next_cursor of the page before (absent: the first page).",
    },
]


def _paginate(paths: dict) -> dict:
    """Describe the keyset pagination of each list route: its parameters, ``next`` in the response and the
    OpenAPI link that follows it."""
    for path, key in PAGINATED.items():
        op = paths[path]["get"]
        op["parameters"] = [*op.get("parameters", []), *PAGE_PARAMETERS]
        op["responses"]["200"] = {
            "description": "One page; follow next (the same request with cursor=next_cursor) until it is null",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": [key, "next", "next_cursor"],
                        "properties": {
                            key: {"type": "array", "items": {"type": "object"}},
                            "next": {
                                "type": ["string", "null"],
                                "format": "uri-reference",
                                "description": "The link to the following page; null on the last page",
                            },
                            "next_cursor": {"type": ["string", "null"]},
                        },
                    }
                }
            },
            "links": {
                "next": {
                    "operationRef": "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/get",
                    "parameters": {"cursor": "$response.body#/next_cursor"},
                    "description": "The following page of the same list",
                }
            },
        }
    return paths


def document() -> dict:
    doc = _document()
    _paginate(doc["paths"])
    notice = doc["paths"]["/cases"]["post"]
    notice["summary"] += (
        "; answers the case's summary and links (self, events, timeline), or the whole case document with "
        "full=1 or the header Prefer: return=representation. With Prefer: respond-async and a JSON body the notice "
        "is kept and acknowledged at once (202, Preference-Applied: respond-async, Location: its receipt); the "
        "queue opens its case seconds later, as of the time it was received (GET /cases/received/{receipt_id}). "
        "A multipart notice (files) is filed at once whatever the preference"
    )
    notice["parameters"] = [
        *notice.get("parameters", []),
        {"name": "full", "in": "query", "required": False, "schema": {"type": "boolean"}},
        {
            "name": "Prefer",
            "in": "header",
            "required": False,
            "schema": {"enum": ["return=representation", "respond-async"]},
        },
    ]
    notice["responses"]["202"] = {
        "description": "Prefer: respond-async: the notice is received (committed), its case not opened yet; "
        "Location is its receipt. An identical retry under the same Idempotency-Key answers the same receipt (200)",
        "headers": {
            "Preference-Applied": {"schema": {"const": "respond-async"}},
            "Location": {"schema": {"type": "string", "format": "uri-reference"}},
        },
        "content": {"application/json": {"schema": RECEIPT}},
    }
    return doc


def _receipt_op() -> dict:
    op = _op(
        "The receipt of a notice sent with Prefer: respond-async (yours only): queued; filed, with its case "
        "(Location: the case); refused, with the error and its fields in the language you were answered in; or "
        "failed (error not_opened): the platform could not open it, nothing was filed"
    )
    op["responses"]["200"]["content"]["application/json"] = {"schema": RECEIPT}
    return op


RECEIPT = {
    "type": "object",
    "required": ["id", "status", "received_at", "processed_at", "links"],
    "properties": {
        "id": {"type": "integer"},
        "status": {"enum": ["queued", "filed", "refused", "failed"]},
        "received_at": {"type": "string", "format": "date-time"},
        "processed_at": {"type": ["string", "null"], "format": "date-time"},
        "links": {"type": "object", "description": "self: this receipt; case: the case, once filed"},
        "case": {
            "type": "object",
            "description": "Once filed: the case's summary and links, as filing at once answers",
        },
        "error": {
            "type": "object",
            "description": "Once refused: the error filing at once would have answered (code, message, fields)",
        },
    },
}


def _document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ODR platform API",
            "version": "1",
            "description": "Cross-border IP dispute resolution: notices, answers, negotiation, "
            "mediation, settlement and escalation to a court.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/openapi.json": {"get": _op("This document", auth=False)},
            "/accounts": {"post": _op("Sign up", body="SignUp", ok="201", auth=False)},
            "/tokens": {
                "get": _op("Your tokens that still work, with when each expires (never their values)"),
                "post": _token_request(),
            },
            "/tokens/current": {"delete": _op("Revoke the token used for this request", ok="204")},
            "/tokens/{token_id}": {
                "parameters": [{"name": "token_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "delete": _op("Revoke one of your tokens", ok="204"),
            },
            "/me": {"get": _op("The signed-in account (email_verified: whether its address was confirmed)")},
            "/me/email-verification": {
                "post": _op(
                    "E-mail a new one-time link that confirms your address (earlier links stop working)", ok="202"
                )
            },
            "/me/claims": {
                "get": _op(
                    "The case waiting for your verified e-mail address (offer: the party a notice named with it, and "
                    "its cases), or null"
                ),
                "post": _op(
                    "Claim a case as the seller: with the invitation code a notice sent (wrong codes are limited per "
                    "account and address), or by accepting the offer to your verified address (party_id)",
                    body="Claim",
                    ok="201",
                ),
            },
            "/password-resets": {
                "post": _op(
                    "Ask for a one-time link to set a new password, e-mailed if an account uses the address; the "
                    "answer is the same either way",
                    body="PasswordResetRequest",
                    ok="202",
                    auth=False,
                )
            },
            "/todo": {
                "get": _op(
                    "What to do next: your pending obligations, most urgent first, each with its deadline, "
                    "the choices (any one is enough) and what happens if nobody acts"
                )
            },
            "/me/notification-preferences": {
                "get": _op("How you are told by e-mail: frequency (every_event, daily_digest, deadlines_only), email"),
                "put": _op(
                    "Change how you are told by e-mail; legally required notices are e-mailed whatever you choose",
                    body="NotificationPreferences",
                ),
            },
            "/me/password": {
                "post": _op(
                    "Change your password: every browser session and every other token of the account ends",
                    body="PasswordChange",
                    ok="204",
                )
            },
            "/accounts/{account_id}/sessions/revoke": {
                "parameters": [{"name": "account_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "post": _forbidden_to_others(_op("Administrators: end every browser session and token of an account")),
            },
            "/inbox": {
                "get": _op(
                    "Acts served on you (newest first) and how many are unread; the content stays "
                    "on the case, under its access rules"
                )
            },
            "/inbox/{delivery_id}/open": {
                "parameters": [{"name": "delivery_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "post": _op(
                    "Open a delivery of your inbox: the first opening may be its receipt, which starts "
                    "the periods that run from it"
                ),
            },
            "/dsa/reviews": {
                "get": _op("Notices waiting for a platform reviewer's decision (DSA Art. 16): trusted flaggers' first")
            },
            "/cases/{case_id}/notice-decision": {
                "parameters": [CASE_ID],
                "post": _op(
                    "A reviewer's reasoned decision on a notice: outcome (restrict, no_action), ground, "
                    "legal_ground, explanation, facts, used_suggestion (DSA Art. 16(5)-(6))",
                    ok="201",
                ),
            },
            "/cases/{case_id}/statements-of-reasons": {
                "parameters": [CASE_ID],
                "get": _op("The case's statements of reasons (DSA Art. 17), content and text in your language"),
            },
            "/cases/{case_id}/complaints": {
                "parameters": [CASE_ID],
                "post": _op(
                    "The seller's or the notifier's internal complaint (DSA Art. 20), within six months of being "
                    "informed of the decision",
                    ok="201",
                ),
            },
            "/dsa/complaints": {"get": _op("Open internal complaints with their age, oldest first (reviewers)")},
            "/complaints/{complaint_id}/decision": {
                "parameters": [{"name": "complaint_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "post": _op("A reviewer's reasoned decision on a complaint: outcome (upheld, rejected), reasons"),
            },
            "/dsa/out-of-court-bodies": {
                "get": _op("Certified out-of-court dispute settlement bodies (DSA Art. 21), with source and confidence")
            },
            "/cases": {
                "get": _op("Cases visible to you"),
                "post": _op("File a notice (opens a case)", body="Notice", ok="201", idempotent=True, multipart=True),
            },
            "/notices:batch": {"post": _batch_op()},
            "/cases/received/{receipt_id}": {
                "parameters": [{"name": "receipt_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "get": _receipt_op(),
            },
            "/cases/{case_id}": {
                "parameters": [CASE_ID],
                "get": _op(
                    "One case with evidence, deadlines and its latest 50 filings you may read (oldest first); "
                    "filings_total: how many you may read in all; links.filings: all of them a page at a time "
                    "(GET /cases/{case_id}/filings); links.earlier_filings: those before the ones shown (null: none)"
                ),
            },
            "/cases/{case_id}/filings": {
                "parameters": [CASE_ID],
                "get": {
                    **_op(
                        "The filings you may read (a caucus only to its party and the mediator), oldest first, each as "
                        "in the case document; before (the case document's links.earlier_filings): only those "
                        "before the document's first"
                    ),
                    "parameters": [
                        {
                            "name": "before",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string"},
                            "description": "Only the filings before this cursor (kept in the next links)",
                        }
                    ],
                },
                "post": _op(
                    "File a response, counter-notice, message, offer or settlement proposal (decisions: /decision)",
                    body="Filing",
                    ok="201",
                    idempotent=True,
                    multipart=True,
                ),
            },
            "/cases/{case_id}/reports": {
                "parameters": [CASE_ID],
                "post": _op(
                    "Report a complaint to an authority or a lawsuit, or its end, with its document (multipart: "
                    "data = Report as JSON, document = the acceptance notice or the decision; China, E-Commerce Law "
                    "Art. 43(2)); the procedure's step follows",
                    body="Report",
                    ok="201",
                    idempotent=True,
                    multipart=True,
                ),
            },
            "/cases/{case_id}/settlements/{filing_id}/accept": {
                "parameters": [
                    CASE_ID,
                    {"name": "filing_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                ],
                "post": _op("Accept the current settlement proposal", body="Acceptance"),
            },
            "/cases/{case_id}/actions/{action}": {
                "parameters": [
                    CASE_ID,
                    {
                        "name": "action",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "examples": ["request_mediation", "escalate", "withdraw"]},
                    },
                ],
                "post": _op("Take a procedural step that is not a filing"),
            },
            "/cases/{case_id}/deadlines/{deadline_id}/extensions": {
                "parameters": [
                    CASE_ID,
                    {"name": "deadline_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                ],
                "post": _op("Pause or extend a running deadline where its rule allows (mediator)", body="Extension"),
            },
            "/cases/{case_id}/deadlines/{deadline_id}/pause-requests": {
                "parameters": [
                    CASE_ID,
                    {"name": "deadline_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                ],
                "post": _op(
                    "Ask, with proof, that time lost beyond your control not count (multipart: data = PauseRequest "
                    "as JSON, proof = the document; China: SPC Reply, Fa Shi [2020] No. 9, Art. 3)",
                    body="PauseRequest",
                    ok="201",
                    multipart=True,
                ),
            },
            "/cases/{case_id}/pause-requests/{request_id}/decision": {
                "parameters": [
                    CASE_ID,
                    {"name": "request_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                ],
                "post": _op(
                    "Grant (all or part) or refuse a requested pause, with reasons (the platform, or the mediator)",
                    body="PauseDecision",
                ),
            },
            "/cases/{case_id}/events": {"parameters": [CASE_ID], "get": _op("The hash-chained timeline")},
            "/cases/{case_id}/evidence/{evidence_id}": {
                "parameters": [
                    CASE_ID,
                    {"name": "evidence_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                ],
                "get": _op("Download an evidence file", produces="application/octet-stream"),
            },
            "/cases/{case_id}/mediator": {
                "parameters": [CASE_ID],
                "post": _op(
                    "Propose a mediator, named or chosen automatically (administrators); the mediator must accept",
                    body="Assignment",
                ),
            },
            **_ladder_paths(),
            **_linkage_paths(),
            **_conduct_paths(),
            **_security_paths(),
            **_transparency_paths(),
            "/audit": {
                "get": {
                    **_op(
                        "The audit log (administrators): reads of a case by mediators, courts and administrators, "
                        "and administrators' actions, newest first"
                    ),
                    "parameters": [
                        {"name": "account", "in": "query", "schema": {"type": "string", "format": "email"}},
                        {
                            "name": "case",
                            "in": "query",
                            "schema": {"type": "string"},
                            "description": "A case reference (ODR-2026-000123) or number",
                        },
                        {"name": "action", "in": "query", "schema": {"enum": ["case_read", "admin_action"]}},
                        {"name": "since", "in": "query", "schema": {"type": "string", "format": "date"}},
                        {"name": "until", "in": "query", "schema": {"type": "string", "format": "date"}},
                    ],
                }
            },
            **_alliance_paths(),
            **_webhook_paths(),
            "/cases/{case_id}/filings/{filing_id}/translations": {
                "parameters": [CASE_ID, FILING_ID],
                "get": _op(
                    "A filing's original (authoritative) and its translations with provenance: status "
                    "(pending, done, failed, unavailable), origin (machine or human), engine, model, version, pivot"
                ),
            },
            "/cases/{case_id}/translations/{translation_id}/flags": {
                "parameters": [
                    CASE_ID,
                    {"name": "translation_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                ],
                "post": _op(
                    "Flag a wrong machine translation (parties), with a reason", body="TranslationFlag", ok="201"
                ),
            },
            "/cases/{case_id}/filings/{filing_id}/translations/human": {
                "parameters": [CASE_ID, FILING_ID],
                "post": _op(
                    "Replace a translation with a human translation (the case's mediator)",
                    body="HumanTranslation",
                    ok="201",
                ),
            },
            "/cases/{case_id}/export": {
                "parameters": [CASE_ID],
                "get": _op(
                    "Download the newest export bundle, a BagIt 1.0 zip (the court it was exported to); "
                    "X-Content-SHA256 names its hash",
                    produces="application/zip",
                ),
            },
            "/court/exports": {
                "get": _op(
                    "The court's inbox: bundles exported to your court, with hashes, "
                    "Merkle roots, receipt and decision status, and the platform key "
                    "fingerprint pinned for your court (pinned_key_id)"
                )
            },
            "/cases/{case_id}/export/acknowledge": {
                "parameters": [CASE_ID],
                "post": _op(
                    "Acknowledge receipt of the newest bundle (409 hash_mismatch if the SHA-256 you name differs)",
                    body="Acknowledgement",
                ),
            },
            "/cases/{case_id}/decision": {
                "parameters": [CASE_ID],
                "post": _op(
                    "Enter the court's decision with its signed document (multipart: data = Decision as JSON, "
                    "document = file); the platform carries it out and closes the case",
                    body="Decision",
                    ok="201",
                    idempotent=True,
                ),
            },
            "/deposits": {
                "get": _op("Your deposited works"),
                "post": _op(
                    'Deposit an original work (multipart: data = {"title"} as JSON, work = file) and receive a '
                    "signed certificate",
                    body="WorkDeposit",
                    ok="201",
                    idempotent=True,
                ),
            },
            "/deposits/{deposit_id}/certificate": {
                "parameters": [{"name": "deposit_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "get": _op("Download a deposit certificate (verify offline with verifier.py certificate)"),
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "TranslationFlag": {
                    "type": "object",
                    "required": ["reason"],
                    "properties": {"reason": {"type": "string", "maxLength": 2000}},
                },
                "HumanTranslation": {
                    "type": "object",
                    "required": ["language", "text"],
                    "properties": {
                        "language": {"type": "string", "description": "ISO 639-1"},
                        "text": {"type": "string"},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message", "fields"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                                "details": {
                                    "type": "object",
                                    "description": (
                                        "Facts for clients, e.g. language: {declared, detected, confidence, "
                                        "override} when the text contradicts the declared language; "
                                        "send override: true to keep it"
                                    ),
                                },
                            },
                        }
                    },
                },
                "SignUp": {
                    "type": "object",
                    "required": ["email", "password", "display_name", "organisation", "role", "country", "language"],
                    "properties": {
                        "email": {"type": "string"},
                        "password": {"type": "string", "minLength": 10},
                        "display_name": {"type": "string"},
                        "organisation": {"type": "string"},
                        "role": {"enum": ["right_holder", "seller", "representative"]},
                        "country": {"type": "string", "description": "ISO 3166-1 alpha-2"},
                        "language": {"type": "string", "description": "ISO 639-1"},
                        "time_zone": {"type": "string"},
                        "locale": {"type": "string"},
                        "invitation_code": {"type": "string"},
                    },
                },
                "Credentials": {
                    "type": "object",
                    "required": ["email", "password"],
                    "properties": {
                        "email": {"type": "string"},
                        "password": {"type": "string"},
                        "label": {"type": "string"},
                        "expires_in_days": {"type": "integer", "minimum": 1, "maximum": 365, "default": 30},
                        "totp_code": {
                            "type": "string",
                            "description": "With two-step sign-in on (always for mediators, courts and "
                            "administrators): the code from the authenticator app, or a recovery code",
                        },
                    },
                },
                "Claim": {
                    "type": "object",
                    "properties": {
                        "invitation_code": {"type": "string", "description": "The code of the invitation e-mail"},
                        "party_id": {"type": "integer", "description": "The party offered to your verified address"},
                    },
                },
                "PasswordResetRequest": {
                    "type": "object",
                    "required": ["email"],
                    "properties": {"email": {"type": "string", "format": "email"}},
                },
                "PasswordChange": {
                    "type": "object",
                    "required": ["current_password", "new_password"],
                    "properties": {
                        "current_password": {"type": "string"},
                        "new_password": {
                            "type": "string",
                            "minLength": 10,
                            "maxLength": 128,
                            "description": "NIST SP 800-63B: not only spaces, not a known leaked password",
                        },
                    },
                },
                "Notice": {
                    "type": "object",
                    "required": ["jurisdiction", "right_type", "title", "text", "language", "listings", "respondent"],
                    "properties": {
                        "jurisdiction": {"type": "string", "examples": ["CN", "US", "EU", "JP", "GB"]},
                        "right_type": {"enum": ["trademark", "copyright", "patent", "design"]},
                        "title": {"type": "string"},
                        "text": {"type": "string"},
                        "language": {"type": "string"},
                        "remedy_sought": {"type": "string"},
                        "language_confirmed": _CONFIRMED,
                        "listings": {
                            "type": "array",
                            "items": {
                                "oneOf": [
                                    {"type": "string", "description": "URL or platform ID, optionally ' | ' title"},
                                    {
                                        "type": "object",
                                        "required": ["locator"],
                                        "properties": {
                                            "locator": {"type": "string"},
                                            "title": {"type": "string"},
                                            "product_category": {"enum": list(PRODUCT_CATEGORIES)},
                                        },
                                    },
                                ]
                            },
                        },
                        "product_category": {
                            "enum": list(PRODUCT_CATEGORIES),
                            "description": "what the goods are; a health-and-safety category puts the case on the "
                            "fast track (rules/policy/health_safety.yaml)",
                        },
                        "respondent": {
                            "type": "object",
                            "required": ["email"],
                            "properties": {
                                "email": {"type": "string"},
                                "name": {"type": "string"},
                                "country": {"type": "string"},
                                "language": {"type": "string"},
                            },
                        },
                        "target_market": {
                            "type": "string",
                            "description": (
                                "ISO 3166-1 alpha-2 country the listing targets; an EU member state brings "
                                "the DSA procedure and that state's calendar"
                            ),
                        },
                        "elements": {
                            "type": "object",
                            "description": (
                                "What the governing law asks of the notice (jurisdictions/*.yaml), e.g. "
                                "identity, prima_facie_evidence, signature, work, contact, right (text) and "
                                "good_faith_statement, accuracy_statement, bona_fide_statement, "
                                "permitted_communication, truthfulness_guarantee (true), patent_kind (invention, "
                                "utility_model) and files (right_certificate, prima_facie_evidence_file, "
                                "patent_evaluation_or_comparison: a multipart part named elements.<name>, or "
                                '{"filename", "content_base64"}); each missing one is named in the 422'
                            ),
                        },
                        "territories": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": (
                                "ISO 3166-1 alpha-2 countries where the right is held (rights are territorial); the "
                                "place the notice is filed for must be among them"
                            ),
                        },
                        "measure": {
                            "type": "object",
                            "description": (
                                "The proportionate measure asked for, as the procedure allows at notice time "
                                "(notice_measures in rules/): take_down, not_purchasable_in (regions, within the "
                                "territories) or remove_element (element); without it, the procedure's take-down"
                            ),
                            "properties": {
                                "kind": {"enum": ["take_down", "not_purchasable_in", "remove_element"]},
                                "regions": {"type": "array", "items": {"type": "string"}},
                                "element": {"type": "string"},
                            },
                        },
                    },
                },
                "Filing": {
                    "type": "object",
                    "required": ["kind", "text", "language"],
                    "properties": {
                        "kind": {"enum": ["response", "counter_notice", "message", "offer", "settlement"]},
                        "text": {"type": "string"},
                        "language": {"type": "string"},
                        "language_confirmed": _CONFIRMED,
                        "terms": {
                            "type": "object",
                            "properties": {
                                "amount": {"type": "string"},
                                "currency": {"type": "string"},
                                "listing_measure": {"enum": ["keep", "remove", "modify", "geo_restrict"]},
                                "regions": {
                                    "type": "array",
                                    "items": {"type": "string"},
                                    "description": "country codes, required with geo_restrict and only with it",
                                },
                                "licence": {"type": "string"},
                            },
                        },
                    },
                },
                "Acceptance": {"type": "object", "properties": {"text_sha256": {"type": "string"}}},
                "Acknowledgement": {
                    "type": "object",
                    "properties": {
                        "sha256": {"type": "string", "description": "the SHA-256 the court computed (optional)"}
                    },
                },
                "PauseRequest": {
                    "type": "object",
                    "required": ["count", "reason"],
                    "properties": {
                        "count": {"type": "integer", "minimum": 1, "description": "working days asked for"},
                        "reason": {"type": "string", "maxLength": 2000},
                    },
                },
                "PauseDecision": {
                    "type": "object",
                    "required": ["decision", "reasons"],
                    "properties": {
                        "decision": {"enum": ["grant", "refuse"]},
                        "count": {"type": "integer", "minimum": 1, "description": "days granted, at most those asked"},
                        "reasons": {"type": "string", "maxLength": 2000},
                    },
                },
                "Report": {
                    "type": "object",
                    "required": ["step", "body", "case_number"],
                    "properties": {
                        "step": {
                            "type": "string",
                            "description": "report_complaint, report_suit, complaint_ended, complaint_upheld, "
                            "suit_ended (the steps the case's procedure offers now)",
                        },
                        "body": {"type": "string", "maxLength": 300, "description": "the authority or court"},
                        "case_number": {"type": "string", "maxLength": 100},
                        "outcome": {
                            "enum": ["", "dismissed", "withdrawn", "infringement_found"],
                            "description": "how the matter ended (the ending steps only)",
                        },
                        "text": {"type": "string", "maxLength": 5000},
                        "language": {"type": "string", "description": "ISO 639-1"},
                    },
                },
                "Decision": {
                    "type": "object",
                    "required": ["outcome", "listing_measure", "text", "language"],
                    "properties": {
                        "outcome": {"enum": ["upheld", "partly_upheld", "dismissed"]},
                        "listing_measure": {
                            "enum": [
                                "keep_in_force",
                                "take_down",
                                "restore",
                                "modify",
                                "region_restrict",
                                "remove_element",
                            ],
                            "description": "what the decision orders on the listings; no default",
                        },
                        "regions": {"type": "array", "items": {"type": "string"}, "description": "region_restrict"},
                        "element": {"type": "string", "description": "remove_element"},
                        "instructions": {"type": "string", "description": "modify"},
                        "amounts": {
                            "type": "array",
                            "maxItems": 10,
                            "items": {
                                "type": "object",
                                "properties": {
                                    "payer": {"enum": ["claimant", "respondent"]},
                                    "amount": {"type": "string"},
                                    "currency": {"type": "string"},
                                    "reason": {"type": "string"},
                                },
                            },
                        },
                        "text": {"type": "string"},
                        "language": {"type": "string"},
                        "court_reference": {"type": "string"},
                    },
                },
                "WorkDeposit": {"type": "object", "required": ["title"], "properties": {"title": {"type": "string"}}},
                "Extension": {
                    "type": "object",
                    "required": ["count", "reason"],
                    "properties": {"count": {"type": "integer", "minimum": 1}, "reason": {"type": "string"}},
                },
                "Assignment": {
                    "type": "object",
                    "properties": {
                        "mediator_id": {"type": "integer"},
                        "automatic": {"type": "boolean", "description": "choose the least loaded qualified mediator"},
                    },
                },
                **LADDER_SCHEMAS,
                **LINKAGE_SCHEMAS,
                **CONDUCT_SCHEMAS,
                **SECURITY_SCHEMAS,
                **ALLIANCE_SCHEMAS,
            },
        },
    }


def _ladder_paths() -> dict:
    """The settlement ladder: desk, appointments, timeline, blind bidding, agreement, evaluation, measures."""
    appointment = {"name": "appointment_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    evaluation = {"name": "evaluation_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    measure = {"name": "measure_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    return {
        "/mediation/desk": {
            "get": _op(
                "The mediator's cases by next deadline, with overdue and due-this-week "
                "marks and workload counts; filters jurisdiction, stage, language"
            )
        },
        "/mediation/appointments": {
            "get": _op("Cases offered to the mediator (a minimal summary) and the independence declaration to affirm")
        },
        "/mediation/appointments/{appointment_id}/accept": {
            "parameters": [appointment],
            "post": _op("Declare independence and accept the case", body="AppointmentAcceptance"),
        },
        "/mediation/appointments/{appointment_id}/decline": {
            "parameters": [appointment],
            "post": _op("Decline the case", body="AppointmentDecline"),
        },
        "/mediation/affiliations": {
            "post": _op("Declare an affiliation (a conflict source)", body="Affiliation", ok="201")
        },
        "/cases/{case_id}/timeline": {
            "parameters": [CASE_ID],
            "get": _op("Past events and future deadlines on one axis, with what happens if nobody acts"),
        },
        "/cases/{case_id}/bidding": {
            "parameters": [CASE_ID],
            "get": _op("The blind bidding as you may see it: rules, progress, outcome, your own bids only"),
            "post": _op("Open double-blind bidding", body="BiddingRules", ok="201"),
        },
        "/cases/{case_id}/bids": {
            "parameters": [CASE_ID],
            "post": _op("Submit your next secret bid (demand or offer)", body="Bid", ok="201"),
        },
        "/cases/{case_id}/agreement": {
            "parameters": [CASE_ID],
            "get": _op("The settlement agreement in both languages with its signature acts"),
            "post": _op("Propose an agreement (replaces the last; voids acceptances)", body="Agreement", ok="201"),
        },
        "/cases/{case_id}/offers/{filing_id}/accept": {
            "parameters": [CASE_ID, FILING_ID],
            "post": _op(
                "Accept an offer made to you: its terms become the draft agreement in both parties' languages",
                ok="201",
            ),
        },
        "/cases/{case_id}/agreement/approve": {
            "parameters": [CASE_ID],
            "post": _op("Approve a machine-translated version of the agreement", body="ApproveVersion"),
        },
        "/cases/{case_id}/agreement/sign": {
            "parameters": [CASE_ID],
            "post": _op("Sign the agreement: typed full name, capacity, place, password or code", body="Signature"),
        },
        "/cases/{case_id}/agreement.pdf": {
            "parameters": [CASE_ID],
            "get": _op("The agreement as PDF", produces="application/pdf"),
        },
        "/cases/{case_id}/evaluation": {
            "parameters": [CASE_ID],
            "get": _op("The neutral evaluation of the case"),
            "post": _op("Refer one claim to a neutral (mediator or administrator)", body="EvaluationRequest", ok="201"),
        },
        "/cases/{case_id}/evaluation/deposits": {
            "parameters": [CASE_ID],
            "post": _op("Record a side's deposit (administrators)", body="EvaluationDeposit", ok="201"),
        },
        "/cases/{case_id}/evaluation/submissions": {
            "parameters": [CASE_ID],
            "post": _op("A party's written submission (word limit, deadline)", body="Submission", ok="201"),
        },
        "/evaluations/{evaluation_id}": {"parameters": [evaluation], "get": _op("An evaluation (its neutral)")},
        "/evaluations/{evaluation_id}/decision": {
            "parameters": [evaluation],
            "post": _op("The neutral's reasoned decision; deposits follow it (loser pays)", body="EvaluationDecision"),
        },
        "/measures": {
            "get": {
                **_op("Measures for the platform to apply (platform clients)"),
                "parameters": [{"name": "status", "in": "query", "schema": {"enum": ["pending", "confirmed", "all"]}}],
            }
        },
        "/measures/{measure_id}/confirm": {
            "parameters": [measure],
            "post": _op("Confirm that a measure was applied (idempotent)", body="MeasureConfirmation"),
        },
    }


_STR = {"type": "string"}
MEASURE = {
    "type": "object",
    "required": ["kind", "listing"],
    "properties": {
        "kind": {
            "enum": [
                "restore",
                "take_down",
                "remove_element",
                "modify",
                "not_purchasable_in",
                "restore_against_security",
            ]
        },
        "listing": {"type": "string", "description": "one of the case's listings"},
        "element": _STR,
        "instructions": _STR,
        "regions": {"type": "array", "items": _STR},
        "security_amount": _STR,
        "currency": _STR,
    },
}
LADDER_SCHEMAS = {
    "AppointmentAcceptance": {
        "type": "object",
        "required": ["declaration"],
        "properties": {"declaration": {"const": True}, "disclosures": _STR},
    },
    "AppointmentDecline": {"type": "object", "properties": {"reason": _STR}},
    "Affiliation": {"type": "object", "required": ["organisation"], "properties": {"organisation": _STR}},
    "BiddingRules": {
        "type": "object",
        "required": ["currency", "listing_measure"],
        "properties": {
            "currency": _STR,
            "listing_measure": {"type": "string", "enum": ["keep", "remove", "modify", "geo_restrict"]},
            "regions": {"type": "array", "items": _STR, "description": "required with geo_restrict and only with it"},
            "max_rounds": {"type": "integer", "minimum": 1, "maximum": 10},
            "gap_percent": {"type": "integer", "minimum": 0, "maximum": 50},
        },
    },
    "Bid": {
        "type": "object",
        "required": ["amount"],
        "properties": {
            "amount": _STR,
            "accept_rules": {"type": "boolean", "description": "required with your first bid"},
        },
    },
    "Agreement": {
        "type": "object",
        "required": ["authoritative_language", "texts"],
        "properties": {
            "authoritative_language": _STR,
            "texts": {"type": "object", "additionalProperties": _STR, "description": "one text per party language"},
            "terms": {"type": "object", "properties": {"amount": _STR, "currency": _STR, "licence": _STR}},
            "measures": {"type": "array", "items": MEASURE},
        },
    },
    "ApproveVersion": {"type": "object", "required": ["language"], "properties": {"language": _STR}},
    "Signature": {
        "type": "object",
        "required": ["signed_name", "capacity", "place", "password"],
        "properties": {
            "signed_name": {**_STR, "description": "your full name as your account shows it"},
            "capacity": {**_STR, "description": "in what capacity you sign, e.g. director"},
            "place": _STR,
            "password": {**_STR, "description": "your password, or your one-time code with two-step sign-in"},
            "text_sha256": {**_STR, "description": "the digest of the text you read; refused if it changed"},
        },
    },
    "EvaluationRequest": {
        "type": "object",
        "required": ["claim", "listings", "neutral_id", "deposit_amount", "deposit_currency"],
        "properties": {
            "claim": _STR,
            "listings": {"type": "array", "items": _STR, "maxItems": 20},
            "neutral_id": {"type": "integer"},
            "word_limit": {"type": "integer"},
            "submission_days": {"type": "integer"},
            "decision_days": {"type": "integer"},
            "deposit_amount": _STR,
            "deposit_currency": _STR,
        },
    },
    "EvaluationDeposit": {
        "type": "object",
        "required": ["side"],
        "properties": {"side": {"enum": ["claimant", "respondent"]}, "reference": _STR},
    },
    "Submission": {"type": "object", "required": ["text", "language"], "properties": {"text": _STR, "language": _STR}},
    "EvaluationDecision": {
        "type": "object",
        "required": ["prevailing_side", "reasons", "language"],
        "properties": {"prevailing_side": {"enum": ["claimant", "respondent"]}, "reasons": _STR, "language": _STR},
    },
    "MeasureConfirmation": {"type": "object", "properties": {"reference": _STR}},
    "NotificationPreferences": {
        "type": "object",
        "properties": {
            "frequency": {"enum": ["every_event", "daily_digest", "deadlines_only"]},
            "email": {"type": "boolean"},
        },
    },
    "WebhookEndpoint": {
        "type": "object",
        "required": ["url"],
        "properties": {
            "url": {"type": "string", "format": "uri", "maxLength": 2000},
            "secret": {"type": "string", "minLength": 16, "maxLength": 200},
        },
    },
}


def _linkage_paths() -> dict:
    """Linked accounts: identifiers reported as keyed hashes, links explained, wrong links contested."""
    contest = {"name": "contest_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    ref = {"name": "ref", "in": "path", "required": True, "schema": {"type": "string"}}
    return {
        "/linkage/accounts": {
            "post": _op(
                "Report accounts and their identifiers (platform clients; up to 1000 accounts). Values are hashed "
                "with HMAC-SHA256 and never stored. Answered item by item: each account is accepted whole or "
                "refused whole with its reasons; 422 when none is accepted. Repeating a report changes nothing",
                body="AccountReport",
            )
        },
        "/linkage/accounts/{ref}": {
            "parameters": [ref],
            "get": _op(
                "One of your accounts: the accounts linked to it, each with the shortest explaining path "
                "(other platforms' references are withheld)"
            ),
        },
        "/cases/{case_id}/linkage": {
            "parameters": [CASE_ID],
            "get": _op(
                "Linked accounts on a case: for the mediator and administrators every linked account with its "
                "explaining path, its other cases and coordinated notices; for a party its own linking identifiers"
            ),
        },
        "/cases/{case_id}/linkage/contests": {
            "parameters": [CASE_ID],
            "post": _op(
                "Contest one of your identifiers that links you to other accounts (parties)",
                body="LinkContest",
                ok="201",
            ),
        },
        "/linkage/contests": {"get": _op("Contests awaiting a decision (administrators)")},
        "/linkage/contests/{contest_id}/decision": {
            "parameters": [contest],
            "post": _op(
                "Decide a contest (administrators); upheld withdraws the link and splits the component",
                body="LinkContestDecision",
            ),
        },
    }


def _conduct_paths() -> dict:
    """Conduct: records from outcomes, wrongful-notice claims and findings, account measures and appeals."""
    party = {"name": "party_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    claim = {"name": "claim_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    measure = {"name": "measure_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    return {
        "/conduct/record": {
            "get": _op(
                "Your organisation's record, counted from outcomes: as notifier, as seller, strikes (with ground, "
                "expiry and removal), the thresholds that apply, wrongful-notice findings and account measures"
            )
        },
        "/conduct/parties/{party_id}/record": {
            "parameters": [party],
            "get": _op("A party's record (the party itself, mediators and administrators)"),
        },
        "/cases/{case_id}/conduct": {
            "parameters": [CASE_ID],
            "get": _op(
                "Both parties' records for the case's mediator, administrators and its court, and the "
                "wrongful-notice claim with its finding (parties see the claim only)"
            ),
        },
        "/cases/{case_id}/wrongful-notice": {
            "parameters": [CASE_ID],
            "post": _op(
                "The seller claims that the notice was wrongful, with the loss it caused",
                body="WrongfulNotice",
                ok="201",
            ),
        },
        "/conduct/claims/{claim_id}/finding": {
            "parameters": [claim],
            "post": _op(
                "Decide a wrongful-notice claim (the case's mediator, an administrator or its court): erroneous, "
                "malicious or dismissed; the consequence under the case's law is recorded with its citation",
                body="WrongfulNoticeFinding",
            ),
        },
        "/conduct/measures/{measure_id}/appeal": {
            "parameters": [measure],
            "post": _op("Appeal a measure in force on your account (once)", body="Appeal"),
        },
        "/conduct/appeals": {"get": _op("Appeals awaiting a decision (administrators)")},
        "/conduct/trusted-flaggers": {
            "get": _op(
                "The trusted flaggers registry (DSA Art. 22): name, Member State, areas, reference, date, source"
            ),
            "post": _op("Record an award of trusted-flagger status (administrators)", body="TrustedFlagger", ok="201"),
        },
        "/conduct/trusted-flaggers/{flagger_id}/revocation": {
            "parameters": [{"name": "flagger_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "post": _op(
                "Record that the status was revoked or suspended from a day (administrators)", body="Revocation"
            ),
        },
        "/conduct/good-faith": {
            "get": _op("Where your organisation stands against the good-faith lane's criteria (shown with them)")
        },
        "/conduct/queue": {
            "get": _op(
                "Open cases for reviewers (all) and mediators (their own): health-and-safety cases first, then "
                "trusted flaggers' notices, good-faith notifiers' and the rest; within each the higher triage score, "
                "then the oldest; the order decides nothing"
            )
        },
        "/cases/{case_id}/health-safety": {
            "parameters": [CASE_ID],
            "get": _op(
                "The case's health-and-safety fast track (matches, categories, track, provisional measure, clearing "
                "or confirmation) and whether a triage score ordered the queues; the score's figures for reviewers, "
                "the mediator and the court"
            ),
        },
        "/cases/{case_id}/health-safety/clear": {
            "parameters": [CASE_ID],
            "post": _op(
                "Clear a false health-and-safety match with a reason (a reviewer or the case's mediator): the case "
                "returns to the standard periods from the same start and a provisional measure is lifted",
                body="HealthSafetyClearing",
            ),
        },
        "/cases/{case_id}/health-safety/counterfeit": {
            "parameters": [CASE_ID],
            "post": _op(
                "Confirm counterfeit health-and-safety goods with reasons (a reviewer or the case's mediator): the "
                "seller's account is suspended with a statement of reasons and an appeal",
                body="CounterfeitConfirmation",
            ),
        },
        "/conduct/measures/{measure_id}/appeal-decision": {
            "parameters": [measure],
            "post": _op(
                "Decide an appeal (administrators): lifting it reinstates the account at the platform",
                body="AppealDecision",
            ),
        },
    }


def _security_paths() -> dict:
    """A seller's security to keep its listings online while the case runs (Platform Rule 22)."""
    security = {"name": "security_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    offer = _op(
        "The seller offers a security while a measure taken on the notice stands (multipart: data = SecurityOffer "
        "as JSON, document = the guarantee document); the right holder and the mediator are served the offer",
        body="SecurityOffer",
        ok="201",
        idempotent=True,
    )
    offer["requestBody"]["content"]["multipart/form-data"] = {
        "schema": {
            "type": "object",
            "properties": {
                "data": {"type": "string", "description": "SecurityOffer as JSON"},
                "document": {"type": "string", "format": "binary"},
            },
        }
    }
    return {
        "/cases/{case_id}/security": {
            "parameters": [CASE_ID],
            "get": _op(
                "What the case's jurisdiction allows (currencies, limits, citation with its confidence), whether the "
                "seller may offer now, and every offer with its decision and what the outcome did with it"
            ),
            "post": offer,
        },
        "/securities/{security_id}/decision": {
            "parameters": [security],
            "post": _op(
                "Accept or refuse an offer with reasons (the case's mediator or a reviewer); accepted, the listings "
                "are restored at the platform (measure restore_against_security) while the case runs",
                body="SecurityDecision",
            ),
        },
    }


SECURITY_SCHEMAS = {
    "SecurityOffer": {
        "type": "object",
        "required": ["amount", "currency", "document_kind", "language"],
        "properties": {
            "amount": {"type": "string", "description": "A decimal amount within the jurisdiction's limits"},
            "currency": {"type": "string", "description": "One of the jurisdiction's currencies"},
            "document_kind": {"enum": ["bank_guarantee", "insurance_guarantee", "deposit_receipt"]},
            "note": {"type": "string"},
            "language": {"type": "string"},
        },
    },
    "SecurityDecision": {
        "type": "object",
        "required": ["decision", "reasons", "language"],
        "properties": {
            "decision": {"enum": ["accept", "refuse"]},
            "reasons": {"type": "string"},
            "language": {"type": "string"},
        },
    },
}


CONDUCT_SCHEMAS = {
    "TrustedFlagger": {
        "type": "object",
        "required": ["party_id", "name", "member_state", "areas", "reference", "awarded_on", "source"],
        "properties": {
            "party_id": {"type": "integer"},
            "name": _STR,
            "member_state": _STR,
            "areas": {"type": "array", "items": {"enum": ["trademark", "copyright", "patent", "design"]}},
            "reference": _STR,
            "awarded_on": {"type": "string", "format": "date"},
            "source": _STR,
        },
    },
    "Revocation": {
        "type": "object",
        "required": ["revoked_on"],
        "properties": {"revoked_on": {"type": "string", "format": "date"}},
    },
    "WrongfulNotice": {
        "type": "object",
        "required": ["grounds", "language", "loss_amount", "currency"],
        "properties": {"grounds": _STR, "language": _STR, "loss_amount": _STR, "currency": _STR},
    },
    "WrongfulNoticeFinding": {
        "type": "object",
        "required": ["finding", "reasons", "language"],
        "properties": {"finding": {"enum": ["erroneous", "malicious", "dismissed"]}, "reasons": _STR, "language": _STR},
    },
    "Appeal": {"type": "object", "required": ["text"], "properties": {"text": _STR}},
    "HealthSafetyClearing": {"type": "object", "required": ["reason"], "properties": {"reason": _STR}},
    "CounterfeitConfirmation": {
        "type": "object",
        "required": ["reasons"],
        "properties": {"reasons": _STR, "language": _STR},
    },
    "AppealDecision": {
        "type": "object",
        "required": ["lift", "reasons"],
        "properties": {"lift": {"type": "boolean"}, "reasons": _STR},
    },
}


LINKAGE_SCHEMAS = {
    "AccountReport": {
        "type": "object",
        "required": ["accounts"],
        "properties": {
            "accounts": {
                "type": "array",
                "maxItems": 1000,
                "items": {
                    "type": "object",
                    "required": ["ref", "identifiers"],
                    "properties": {
                        "ref": {
                            "type": "string",
                            "maxLength": 200,
                            "description": "your platform's reference of the account",
                        },
                        "role": {"enum": ["seller", "notifier"]},
                        "identifiers": {
                            "type": "array",
                            "maxItems": 50,
                            "items": {
                                "type": "object",
                                "required": ["kind", "value"],
                                "properties": {
                                    "kind": {
                                        "enum": [
                                            "business_licence",
                                            "bank_account",
                                            "payment_account",
                                            "address",
                                            "phone",
                                            "email",
                                            "shop_name",
                                            "image_fingerprint",
                                        ]
                                    },
                                    "value": {
                                        "type": "string",
                                        "maxLength": 500,
                                        "description": "in the clear over TLS; phone in international form (+...), "
                                        "image fingerprint as 16-128 hex digits",
                                    },
                                },
                            },
                        },
                    },
                },
            }
        },
    },
    "LinkContest": {
        "type": "object",
        "required": ["identifier_id", "reason"],
        "properties": {"identifier_id": {"type": "integer"}, "reason": {"type": "string", "maxLength": 4000}},
    },
    "LinkContestDecision": {
        "type": "object",
        "required": ["upheld", "reason"],
        "properties": {"upheld": {"type": "boolean"}, "reason": _STR},
    },
}


def _transparency_paths() -> dict:
    """Publication: the register (CN E-Commerce Law Art. 44), the report (DSA Arts. 15, 24), the Lumen export."""
    period = [
        {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
        {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
    ]
    filters = period + [
        {"name": "jurisdiction", "in": "query", "schema": _STR},
        {"name": "right_type", "in": "query", "schema": {"enum": ["trademark", "copyright", "patent", "design"]}},
        {
            "name": "outcome",
            "in": "query",
            "schema": {"enum": ["open", "settled", "withdrawn", "decided", "escalated"]},
        },
    ]
    return {
        "/transparency/register": {
            "get": {
                **_op(
                    "Notices received in a period, with declarations, measures and outcome; parties by country only",
                    auth=False,
                ),
                "parameters": filters,
            }
        },
        "/transparency/report": {
            "get": {
                **_op(
                    "Transparency report for a period: counts, median and 90th-percentile handling times, automated "
                    "means, complaints, out-of-court outcomes",
                    auth=False,
                ),
                "parameters": period,
            }
        },
        "/transparency/lumen": {
            "get": {
                **_op(
                    "Notices in the Lumen database's notice layout (works_attributes, entity_notice_roles_attributes)",
                    auth=False,
                ),
                "parameters": filters,
            }
        },
    }


def _webhook_paths() -> dict:
    """Webhooks for platform clients (docs/webhooks.md): endpoints, deliveries, replay."""
    endpoint = {"name": "endpoint_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    delivery = {"name": "delivery_id", "in": "path", "required": True, "schema": _STR}
    return {
        "/webhooks/endpoints": {
            "get": _op("Your webhook endpoints (platform clients)"),
            "post": _op(
                "Register an endpoint (http(s), public address); the response carries its signing secret",
                body="WebhookEndpoint",
                ok="201",
            ),
        },
        "/webhooks/endpoints/{endpoint_id}": {
            "parameters": [endpoint],
            "delete": _op("Remove an endpoint: no further events are sent to it"),
        },
        "/webhooks/deliveries": {
            "get": {
                **_op("Your webhook deliveries, newest first, with attempts and the last error"),
                "parameters": [
                    {"name": "status", "in": "query", "schema": {"enum": ["all", "pending", "delivered", "failed"]}}
                ],
            }
        },
        "/webhooks/deliveries/{delivery_id}/replay": {
            "parameters": [delivery],
            "post": _op("Send a delivery again with the same delivery ID and body, retried for another 24 hours"),
        },
    }


def _alliance_paths() -> dict:
    """The alliance record (docs/alliance.md): the signed feed, findings, standing, contests."""
    record = {"name": "record_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    contest = {"name": "contest_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    return {
        "/alliance/feed": {
            "get": {
                **_op(
                    "This platform's append-only log of signed alliance records after seq `after`, "
                    "with the Ed25519-signed tree head (RFC 6962 Merkle root over the whole log)",
                    auth=False,
                ),
                "parameters": [{"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0}}],
            }
        },
        "/alliance/records": {
            "post": _op(
                "Issue a signed finding about a settled or decided case's seller (administrators); the seller is told",
                body="AllianceFinding",
                ok="201",
            )
        },
        "/alliance/standing/{ref}": {
            "parameters": [{"name": "ref", "in": "path", "required": True, "schema": _STR}],
            "get": _op(
                "Findings in force across the alliance about one of your accounts "
                "(platform clients), with their sources"
            ),
        },
        "/cases/{case_id}/alliance": {
            "parameters": [CASE_ID],
            "get": _op("The case's seller's standing across the alliance (the case's mediator, administrators)"),
        },
        "/alliance/records/about-me": {"get": _op("Records this platform issued about you")},
        "/alliance/records/{record_id}/contests": {
            "parameters": [record],
            "post": _op(
                "Contest a record about you at this (the issuing) platform", body="LinkContestReason", ok="201"
            ),
        },
        "/alliance/contests/{contest_id}/decision": {
            "parameters": [contest],
            "post": _op(
                "Decide a contest (administrators); upheld appends a revocation that members pull",
                body="LinkContestDecision",
            ),
        },
    }


ALLIANCE_SCHEMAS = {
    "AllianceFinding": {
        "type": "object",
        "required": ["case_id", "finding", "expires_on"],
        "properties": {
            "case_id": {"type": "integer"},
            "finding": {
                "enum": [
                    "counterfeit_settlement",
                    "counterfeit_neutral_decision",
                    "counterfeit_court",
                    "health_safety_counterfeit",
                    "repeat_infringer_termination",
                ]
            },
            "expires_on": {"type": "string", "format": "date"},
        },
    },
    "LinkContestReason": {
        "type": "object",
        "required": ["reason"],
        "properties": {"reason": {"type": "string", "maxLength": 4000}},
    },
}
