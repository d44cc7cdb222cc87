"""Operations: health and readiness probes, Prometheus metrics, structured logs, backup and restore
(docs/operations.md). Composition layer: it reads every domain's tables and nothing imports it but the
app factory and the CLI."""
