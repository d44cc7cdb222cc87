"""Schemathesis generates requests from /api/v1/openapi.json: no input may give a server error, and every
answer must be one the document lists (its status code; an Allow header on a 405)."""

from __future__ import annotations

import re

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from tests.conftest import Api

EXAMPLES = 25  # per operation, derandomized: the same requests on every run


def test_no_generated_request_gives_a_server_error_or_an_undocumented_answer(app, world, platform):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = Api(app.test_client(), world.holder).headers
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def check(case):
            case.call_and_validate(headers=headers, checks=[not_a_server_error, status_code_conformance])

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {_summary(exc)}")
    assert not failures, "\n\n".join(failures)


def _summary(exc: BaseException) -> str:
    inner = exc.exceptions if isinstance(exc, BaseExceptionGroup) else [exc]
    return "; ".join(f"{type(e).__name__}: {str(e)[:300]}" for e in inner) + f" | {str(exc)[-400:]}"


def test_a_method_a_route_does_not_take_is_a_405_that_names_the_methods_it_takes(app, client):
    probes = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        method = next(m for m in ("DELETE", "PUT", "PATCH", "POST") if m not in rule.methods)
        path = re.sub(r"<[^>]+>", "1", re.sub(r"<any\(([^,)]+)[^>]*>", r"\1", rule.rule))
        response = client.open(path, method=method)
        assert response.status_code == 405, (rule.rule, method, response.status_code)
        allowed = {m.strip() for m in response.headers.get("Allow", "").split(",")}
        assert rule.methods <= allowed, (rule.rule, response.headers.get("Allow"))
        probes += 1
    assert probes > 100
