"""The OpenAPI 3.1 document of /api/v1 (a test checks that every API route is described here)."""
from __future__ import annotations

ERROR = {"$ref": "#/components/schemas/Error"}


def _op(summary: str, *, body: str | None = None, ok: str = "200", idempotent: bool = False,
        multipart: bool = False, auth: bool = True, produces: str = "application/json") -> dict:
    op: dict = {"summary": summary, "responses": {
        ok: {"description": "Success", "content": {produces: {}}},
        "400": {"description": "Malformed request", "content": {"application/json": {"schema": ERROR}}},
        "401": {"description": "Missing or invalid bearer token",
                "content": {"application/json": {"schema": ERROR}}},
        "404": {"description": "Unknown, or not visible to you", "content": {"application/json": {"schema": ERROR}}},
        "409": {"description": "Not allowed in the case's current state or for your role",
                "content": {"application/json": {"schema": ERROR}}},
        "422": {"description": "Invalid fields", "content": {"application/json": {"schema": ERROR}}},
    }}
    if not auth:
        op["security"] = []
    if body:
        content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}}
        if multipart:
            content["multipart/form-data"] = {"schema": {"type": "object", "properties": {
                "data": {"type": "string", "description": f"{body} as JSON"},
                "evidence": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}
        op["requestBody"] = {"required": True, "content": content}
    if idempotent:
        op["parameters"] = [{"name": "Idempotency-Key", "in": "header", "required": False,
                             "schema": {"type": "string", "maxLength": 128},
                             "description": "A retry with the same key and body returns the first result (200)."}]
    return op


CASE_ID = {"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "ODR platform API", "version": "1",
                 "description": "Cross-border IP dispute resolution: notices, answers, negotiation, "
                                "mediation, settlement and escalation to a court."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/openapi.json": {"get": _op("This document", auth=False)},
            "/accounts": {"post": _op("Sign up", body="SignUp", ok="201", auth=False)},
            "/tokens": {"post": _op("Exchange e-mail and password for a bearer token", body="Credentials",
                                    ok="201", auth=False)},
            "/tokens/current": {"delete": _op("Revoke the token used for this request", ok="204")},
            "/me": {"get": _op("The signed-in account")},
            "/cases": {"get": _op("Cases visible to you"),
                       "post": _op("File a notice (opens a case)", body="Notice", ok="201",
                                   idempotent=True, multipart=True)},
            "/cases/{case_id}": {"parameters": [CASE_ID], "get": _op("One case with filings, evidence, deadlines")},
            "/cases/{case_id}/filings": {"parameters": [CASE_ID], "post": _op(
                "File a response, counter-notice, message, offer, settlement proposal or decision",
                body="Filing", ok="201", idempotent=True, multipart=True)},
            "/cases/{case_id}/settlements/{filing_id}/accept": {
                "parameters": [CASE_ID, {"name": "filing_id", "in": "path", "required": True,
                                         "schema": {"type": "integer"}}],
                "post": _op("Accept the current settlement proposal", body="Acceptance")},
            "/cases/{case_id}/actions/{action}": {
                "parameters": [CASE_ID, {"name": "action", "in": "path", "required": True,
                                         "schema": {"type": "string",
                                                    "examples": ["request_mediation", "escalate", "withdraw"]}}],
                "post": _op("Take a procedural step that is not a filing")},
            "/cases/{case_id}/events": {"parameters": [CASE_ID], "get": _op("The hash-chained timeline")},
            "/cases/{case_id}/evidence/{evidence_id}": {
                "parameters": [CASE_ID, {"name": "evidence_id", "in": "path", "required": True,
                                         "schema": {"type": "integer"}}],
                "get": _op("Download an evidence file", produces="application/octet-stream")},
            "/cases/{case_id}/mediator": {"parameters": [CASE_ID], "post": _op(
                "Assign a mediator (administrators)", body="Assignment")},
            "/cases/{case_id}/export": {"parameters": [CASE_ID], "get": _op(
                "Download the court export (the court it was exported to)", produces="application/zip")},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message", "fields"], "properties": {
                        "code": {"type": "string"}, "message": {"type": "string"},
                        "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}}},
                "SignUp": {"type": "object", "required": ["email", "password", "display_name", "organisation",
                                                         "role", "country", "language"],
                           "properties": {"email": {"type": "string"}, "password": {"type": "string", "minLength": 10},
                                          "display_name": {"type": "string"}, "organisation": {"type": "string"},
                                          "role": {"enum": ["right_holder", "seller", "representative"]},
                                          "country": {"type": "string", "description": "ISO 3166-1 alpha-2"},
                                          "language": {"type": "string", "description": "ISO 639-1"},
                                          "time_zone": {"type": "string"}, "locale": {"type": "string"},
                                          "invitation_code": {"type": "string"}}},
                "Credentials": {"type": "object", "required": ["email", "password"],
                                "properties": {"email": {"type": "string"}, "password": {"type": "string"},
                                               "label": {"type": "string"}}},
                "Notice": {"type": "object",
                           "required": ["jurisdiction", "right_type", "title", "text", "language", "listings",
                                        "respondent"],
                           "properties": {
                               "jurisdiction": {"type": "string", "examples": ["CN", "US", "EU", "JP", "GB"]},
                               "right_type": {"enum": ["trademark", "copyright", "patent", "design"]},
                               "title": {"type": "string"}, "text": {"type": "string"},
                               "language": {"type": "string"}, "remedy_sought": {"type": "string"},
                               "listings": {"type": "array", "items": {"type": "string"}},
                               "respondent": {"type": "object", "required": ["email"], "properties": {
                                   "email": {"type": "string"}, "name": {"type": "string"},
                                   "country": {"type": "string"}, "language": {"type": "string"}}}}},
                "Filing": {"type": "object", "required": ["kind", "text", "language"], "properties": {
                    "kind": {"enum": ["response", "counter_notice", "message", "offer", "settlement", "decision"]},
                    "text": {"type": "string"}, "language": {"type": "string"},
                    "terms": {"type": "object", "properties": {
                        "amount": {"type": "string"}, "currency": {"type": "string"},
                        "listing_measure": {"enum": ["keep", "remove", "modify", "geo_restrict"]},
                        "licence": {"type": "string"}}}}},
                "Acceptance": {"type": "object", "properties": {"text_sha256": {"type": "string"}}},
                "Assignment": {"type": "object", "required": ["mediator_id"],
                               "properties": {"mediator_id": {"type": "integer"}}},
            },
        },
    }
