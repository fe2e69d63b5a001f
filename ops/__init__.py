"""Running the service: probes (/healthz, /readyz), Prometheus metrics
(/metrics), request ids and JSON logs, the short answers given while a
dependency is down or a body is too large, and the checks an operator runs
before a deploy."""
