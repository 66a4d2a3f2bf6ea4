"""The OpenAPI paths and schemas of access: scoped tokens, partners and portal links."""

from __future__ import annotations

from typing import Any

from hub.api.openapi_parts import ID, TEXT, TIME, op, page, path

LIFETIME = {"type": ["number", "string"],
            "description": "seconds (at least 1) or a duration: 90s, 30m, 12h, 90d"}  # fmt: skip
STRINGS = {"type": "array", "items": {"type": "string"}}
ALLOWANCE = {
    "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{0,63}$"},
    "description": TEXT,
    "types": STRINGS | {"description": "event type patterns it may see: order.*, *"},
    "companies": STRINGS | {"description": "companies it may see; * for all and for none"},
    "filter": {"type": ["object", "null"], "description": "a fixed payload filter"},
    "force_scopes": STRINGS | {"description": "force scopes of rules.yaml it holds"},
}

ACCESS_SCHEMAS: dict[str, Any] = {
    "Token": {
        "type": "object",
        "properties": {"id": ID, "name": {"type": "string"}, "partner": TEXT,
                       "created_at": TIME, "expires_at": TIME,
                       "state": {"type": "string", "enum": ["active", "expired"]},
                       "token": {"type": "string", "description": "shown once"}},
    },
    "Partner": {
        "type": "object",
        "properties": ALLOWANCE | {
            "origin": {"type": "string", "enum": ["file", "api"]},
            "read_only": {"type": "boolean"}, "active": {"type": "boolean"},
            "created_at": TIME, "tokens": STRINGS, "subscriptions": STRINGS},
    },
    "PortalLink": {
        "type": "object",
        "properties": {
            "id": ID, "partner": {"type": "string"}, "capabilities": STRINGS,
            "created_at": TIME, "expires_at": TIME, "used_at": TIME,
            "state": {"type": "string", "enum": ["unused", "used", "expired", "revoked"]},
            "url": {"type": "string", "description": "shown once, at creation"}},
    },
}  # fmt: skip

NAME = [path("name")]
ACCESS_PATHS: dict[str, Any] = {
    "/api/tokens": {
        "get": op("List scoped tokens (admin)", (200, page("Token"))),
        "post": op("Create a scoped token, under a partner, with an expiry (admin)",
                   (201, "Token"), (400, 401, 403, 422),
                   body={"type": "object", "required": ["name"], "properties": {
                       "name": {"type": "string"}, "partner": {"type": "string"},
                       "expires_in": LIFETIME}}),
    },
    "/api/tokens/{id}": {"delete": op("Revoke a token at once (admin)", (204, None),
                                      (401, 403, 404), [path()])},
    "/api/partners": {
        "get": op("Partners and their allowances (admin)", (200, page("Partner"))),
        "post": op("Declare a partner (admin)", (201, "Partner"), (400, 401, 403, 409, 422),
                   body={"type": "object", "required": ["name", "types", "companies"],
                         "properties": ALLOWANCE}),
    },
    "/api/partners/{name}": {
        "get": op("One partner (admin)", (200, "Partner"), (401, 403, 404), NAME),
        "patch": op("Change an API partner's allowance, or suspend or restore any partner "
                    '({"active": false})', (200, "Partner"), (400, 401, 403, 404, 409, 422),
                    NAME, {"type": "object", "properties": ALLOWANCE | {
                        "active": {"type": "boolean"}}}),
        "delete": op("Remove an API partner with its tokens and links", (204, None),
                     (401, 403, 404, 409), NAME),
    },
    "/api/partners/{name}/portal-links": {
        "get": op("A partner's portal links (never the links themselves)",
                  (200, page("PortalLink")), (401, 403, 404), NAME),
        "post": op("A single-use sign-in link into the console's partner view (shown once)",
                   (201, "PortalLink"), (400, 401, 403, 404, 409), NAME,
                   {"type": "object", "properties": {
                       "expires_in": LIFETIME,
                       "capabilities": STRINGS | {"description": "manage, replay, rotate "
                                                                 "(view always)"}}}),
    },
    "/api/partners/{name}/portal-links/{id}": {"delete": op(
        "Revoke a portal link: unopened it cannot be opened; opened, its session ends",
        (204, None), (401, 403, 404), [path("name"), path()])},
}  # fmt: skip
