"""Guessing passwords is slowed down: failed sign-ins are limited per address and account name."""

from tests.conftest import PASSWORD


def test_failed_sign_ins_are_limited_but_successful_ones_are_not(world, client):
    for _ in range(12):
        ok = client.post("/api/v1/tokens", json={"email": world.holder.email, "password": PASSWORD})
        assert ok.status_code == 201
    for attempt in range(10):
        wrong = client.post("/api/v1/tokens", json={"email": world.holder.email, "password": "guess"})
        assert wrong.status_code == 401, attempt
    blocked = client.post("/api/v1/tokens", json={"email": world.holder.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert blocked.get_json()["error"]["code"] == "rate_limited"
    # Another account name from the same address is not locked out by these failures.
    assert client.post("/api/v1/tokens", json={"email": world.seller.email, "password": PASSWORD}).status_code == 201
