"""What the hub tells its operators: log lines, request ids, metrics and the audit trail."""
