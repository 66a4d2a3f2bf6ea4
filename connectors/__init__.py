"""Vendor connectors: one module per vendor, each exposing ``CONNECTOR``."""
