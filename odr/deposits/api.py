"""Deposits over the API: deposit a work, list deposits, download a certificate."""

from __future__ import annotations

from flask import Response, g, jsonify, request

from odr.api import authenticated, bp, created, idempotency_key, multipart_data
from odr.deposits import services as deposits


@bp.get("/deposits")
@authenticated
def api_deposits():
    return jsonify({"deposits": [deposits.as_json(d) for d in deposits.deposits_of(g.api_account)]})


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
