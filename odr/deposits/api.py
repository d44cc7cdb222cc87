"""Deposits over the API: deposit a work, list deposits, download a certificate."""

from __future__ import annotations

from flask import Response, g, jsonify, request

from odr.api import authenticated, bp, created, idempotency_key, multipart_data, page_request, paged
from odr.deposits import services as deposits
from odr.deposits.models import Deposit
from odr.pagination import keyset


@bp.get("/deposits")
@authenticated
def api_deposits():
    limit, cursor = page_request()
    page = keyset(
        deposits.deposits_query(g.api_account), [Deposit.deposited_at, Deposit.id], limit=limit, cursor=cursor
    )
    return jsonify(paged("deposits", [deposits.as_json(d) for d in page.items], page))


@bp.post("/deposits")
@authenticated
def api_deposit():
    data = multipart_data()
    upload = request.files.get("work")
    deposit, is_new = deposits.deposit_work(
        g.api_account,
        data.get("title"),
        upload.stream if upload else None,
        upload.filename if upload else None,
        key=idempotency_key(),
    )
    return created(deposits.as_json(deposit), is_new)


@bp.get("/deposits/<int:deposit_id>/certificate")
@authenticated
def api_deposit_certificate(deposit_id):
    deposit = deposits.get_deposit(g.api_account, deposit_id)
    return Response(
        deposit.certificate,
        mimetype="application/json",
        headers={"Content-Disposition": f"attachment; filename=deposit-certificate-{deposit.id}.json"},
    )
