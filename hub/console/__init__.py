"""The operator console at ``/console``: server-rendered pages over the admin API.

Every read and every action goes through the hub's own ``/api`` in-process (`api_client`),
so the console has the API's scoping, conflicts, validation and audit trail, and nothing the
API refuses can be done from a page.
"""
