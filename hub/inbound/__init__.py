"""Inbound: receive a vendor's webhook, verify it, normalize it and commit it.

`webhooks` is the route (``POST /webhooks/{connector}``): it reads the body and answers once
`ingest` has run the steps and committed; `connector` is the interface each vendor module
implements, `connector_settings` reads `connectors.yaml`, `policy` assigns companies to
storefront orders, and `fetcher` completes thin payloads from vendor APIs.
"""
