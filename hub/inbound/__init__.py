"""Inbound: receive a vendor's webhook, verify it, normalize it and commit it.

`ingest` runs the steps; `connector` is the interface each vendor module implements,
`connector_settings` reads `connectors.yaml`, `policy` assigns companies to storefront orders,
and `fetcher` completes thin payloads from vendor APIs.
"""
