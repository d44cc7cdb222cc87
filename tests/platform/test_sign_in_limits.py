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


def test_guessing_one_account_from_many_addresses_is_slowed_but_the_owner_waits_a_minute_at_most(world, client):
    for n in range(10):
        wrong = client.post(
            "/api/v1/tokens",
            json={"email": world.holder.email, "password": f"guess-{n}"},
            environ_base={"REMOTE_ADDR": f"203.0.113.{n + 1}"},
        )
        assert wrong.status_code == 401, n
    owner = client.post(
        "/api/v1/tokens",
        json={"email": world.holder.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.20"},
    )
    assert owner.status_code == 429 and 0 < int(owner.headers["Retry-After"]) <= 60


def test_password_spraying_from_one_address_is_limited(world, client):
    for n in range(50):
        wrong = client.post("/api/v1/tokens", json={"email": f"user{n}@example.org", "password": "Spring2026!x"})
        assert wrong.status_code == 401, n
    sprayed = client.post("/api/v1/tokens", json={"email": world.holder.email, "password": "Spring2026!x"})
    assert sprayed.status_code == 429
    # The owner, signing in from their own address, is not affected.
    mine = client.post(
        "/api/v1/tokens",
        json={"email": world.holder.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.20"},
    )
    assert mine.status_code == 201
