"""The alliance record: signed findings about sellers that independent platforms exchange as append-only
Merkle logs served as feeds (format: docs/alliance.md)."""
