"""A platform client that reports accounts, and a case in mediation between the world's holder and seller."""
from __future__ import annotations

import pytest

from odr.accounts.models import Role
from odr.linkage import services
from tests.conftest import make_account
from tests.mediation.conftest import mediated_case


@pytest.fixture
def platform(world):
    return make_account(Role.PLATFORM_CLIENT, "api@market.example", country="CN", language="zh", tz="Asia/Shanghai")


@pytest.fixture
def other_platform(world):
    return make_account(Role.PLATFORM_CLIENT, "api@bazaar.example", country="DE", language="de", tz="Europe/Berlin")


def report(platform, *accounts):
    """Report accounts given as (ref, role, [(kind, value), ...]); every item must be accepted."""
    items = [{"ref": ref, "role": role, "identifiers": [{"kind": k, "value": v} for k, v in identifiers]}
             for ref, role, identifiers in accounts]
    results = services.do_report_accounts(platform, items)
    assert all(r.accepted for r in results), [r.errors for r in results]
    return {r.ref: r.account_id for r in results}


@pytest.fixture
def case_id(world):
    return mediated_case(world)
