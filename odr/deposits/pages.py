"""The deposits page: what it shows (view model)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from odr.accounts.models import Account
from odr.deposits.models import Deposit
from odr.deposits.services import deposits_of
from odr.forms import BLANK, FormState


@dataclass(frozen=True)
class DepositsPage:
    deposits: list[Deposit]
    submission_key: str
    form: FormState


def deposits_page(account: Account, form: FormState = BLANK) -> DepositsPage:
    return DepositsPage(deposits=deposits_of(account), submission_key=secrets.token_urlsafe(16), form=form)
