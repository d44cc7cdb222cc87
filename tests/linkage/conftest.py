"""Reporting accounts for the world's platform client, and a case in mediation between the holder and seller."""

from __future__ import annotations

import pytest

from odr.linkage import services
from tests.mediation.conftest import mediated_case


def report(platform, *accounts):
    """Report accounts given as (ref, role, [(kind, value), ...]); every item must be accepted."""
    items = [
        {"ref": ref, "role": role, "identifiers": [{"kind": k, "value": v} for k, v in identifiers]}
        for ref, role, identifiers in accounts
    ]
    results = services.do_report_accounts(platform, items)
    assert all(r.accepted for r in results), [r.errors for r in results]
    return {r.ref: r.account_id for r in results}


@pytest.fixture
def case_id(world):
    return mediated_case(world)
