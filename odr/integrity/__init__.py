"""Integrity primitives the platform signs and a court checks: canonical JSON (RFC 8785),
Merkle trees (RFC 6962), the platform's Ed25519 key, and RFC 3161 timestamps."""
