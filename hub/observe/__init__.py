"""What the hub tells its operators, used by inbound, outbound and the API alike.

- `logs`: log lines as text or JSON, through a bounded queue to a writer thread;
- `pacing`: repeated lines counted and summarized, so a retry storm is not a log storm;
- `request_id`: the ``X-Request-Id`` of each request, carried to every line it logs;
- `metrics`: the Prometheus figures;
- `issues`: failures grouped into issues (a delivery's, an inbound refusal's, a schema's),
  kept in the store and raised as ``hub.issue.*`` events.

The audit trail of admin actions belongs to the API (`hub.api.audit`), which records it.
"""
