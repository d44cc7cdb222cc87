"""Canonical JSON (RFC 8785, JCS): the exact bytes that are hashed and signed."""

from __future__ import annotations

import rfc8785


def canonical_json(value) -> bytes:
    """UTF-8 bytes of ``value`` in JCS form (keys sorted by UTF-16 code units, no whitespace)."""
    return rfc8785.dumps(value)
