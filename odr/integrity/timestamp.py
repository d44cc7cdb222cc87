"""RFC 3161 timestamps: ask a Time Stamping Authority to sign the hash of some bytes.

The request is a few fixed DER structures, written out here; the answer is parsed and
checked (status, imprint, nonce, signature) with the same code the offline verifier uses.
``ODR_TSA_URL`` names the TSA; without it nothing is timestamped and bundles say so.
"""

from __future__ import annotations

import hashlib
import secrets
import urllib.request

from cryptography.exceptions import InvalidSignature
from flask import current_app

from odr.export import verifier

SHA256_OID = bytes.fromhex("0609608648016503040201")  # OID 2.16.840.1.101.3.4.2.1


class TimestampError(RuntimeError):
    """The TSA could not be reached or gave an answer that does not verify."""


def _der(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body


def _integer(value: int) -> bytes:
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True))


def request_for(data: bytes, nonce: int) -> bytes:
    """TimeStampReq {version 1, messageImprint SHA-256, nonce, certReq TRUE}."""
    imprint = _der(0x30, _der(0x30, SHA256_OID + b"\x05\x00") + _der(0x04, hashlib.sha256(data).digest()))
    return _der(0x30, _integer(1) + imprint + _integer(nonce) + b"\x01\x01\xff")


def timestamp(data: bytes, url: str | None = None, timeout: float = 20) -> bytes | None:
    """The TSA's TimeStampResp over ``data``, checked; None when no TSA is configured."""
    url = url or current_app.config["ODR"].get("TSA_URL")
    if not url:
        return None
    nonce = secrets.randbits(63)
    http = urllib.request.Request(
        url, data=request_for(data, nonce), headers={"Content-Type": "application/timestamp-query"}
    )
    try:
        with urllib.request.urlopen(http, timeout=timeout) as answer:  # noqa: S310 (configured URL)
            response = answer.read(1024 * 1024)
    except OSError as exc:
        raise TimestampError(f"the TSA at {url} did not answer: {exc}") from exc
    try:
        parsed = verifier.parse_timestamp_response(response)
        if parsed["status"] not in (0, 1):
            raise TimestampError(f"the TSA refused the request (status {parsed['status']})")
        if parsed["imprint"] != hashlib.sha256(data).hexdigest() or parsed["nonce"] != nonce:
            raise TimestampError("the TSA answered for another request")
        verifier._verify_cms_signature(parsed)
    except (ValueError, IndexError, KeyError, StopIteration, InvalidSignature) as exc:
        raise TimestampError(f"the TSA's answer does not verify: {exc}") from exc
    return response
