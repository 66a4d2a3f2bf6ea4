"""The Power Automate / Logic Apps custom connector, generated from the live catalog and rules.

`definition` is the OpenAPI 2.0 document the custom-connector importer takes (and `paconn
create` uploads with `properties` and `icon`). Each event type is one webhook trigger: its
operation subscribes (`POST /api/event-types/<type>/subscriptions`) with the flow's callback
URL in a body field marked `x-ms-notification-url`, the hub answers 201 with a `Location`,
and the platform calls `DELETE` on it when the flow is turned off. `x-ms-notification-content`
is the delivered message's schema, lowered to Swagger 2.0, so the designer offers every field
as dynamic content. Subscriptions from Logic Apps and Power Automate callbacks get
`content_mode: json`, the content type the designer parses.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from hub import __version__
from hub.catalog import Catalog, EventType
from hub.integrations import icon
from hub.integrations.swagger import to_swagger
from hub.integrations.triggers import status_triggered, trigger_summary, triggered
from hub.outbound.message import message_schema
from hub.state.rules import Rules

BRAND_COLOR = "#2d6a4f"  # the certification refuses #007ee5 and white
TITLE = "Webhook Hub"

Doc = dict[str, Any]


def definition(catalog: Catalog, rules: Rules, public_url: str) -> Doc:
    """The connector's apiDefinition.swagger.json."""
    where = urlsplit(public_url)
    paths: Doc = {}
    definitions: Doc = {"Subscription": SUBSCRIPTION, "BusinessObject": BUSINESS_OBJECT,
                        "Delivery": DELIVERY, "EventPage": EVENT_PAGE}  # fmt: skip
    events = triggered(catalog)
    for event_type in events:
        name = _definition_name(event_type.name)
        definitions[name] = _message(event_type)
        paths[f"/api/event-types/{event_type.name}/subscriptions"] = {
            "post": _trigger(event_type, name)
        }
    for status_type, statuses in status_triggered(catalog, rules):
        name = _definition_name(status_type.name)
        definitions[name] = _message(status_type)
        object_type = status_type.name.partition(".")[0]
        paths[f"/api/event-types/{status_type.name}/subscriptions"] = {
            "post": _status_trigger(object_type, statuses, name)
        }
    paths["/api/subscriptions"] = {"post": GENERIC_TRIGGER}
    paths["/api/subscriptions/{id}"] = {"delete": UNSUBSCRIBE}
    paths["/api/event-types"] = {"get": LIST_EVENT_TYPES}
    paths["/api/event-types/{type}/message-schema"] = {"get": MESSAGE_SCHEMA}
    paths["/api/objects/{type}/{key}"] = {"get": _get_object(sorted(rules.types))}
    paths["/api/events"] = {"get": _list_events(sorted(t.name for t in events))}
    paths["/api/deliveries/{id}/replay"] = {"post": REPLAY}
    return {
        "swagger": "2.0",
        "info": {
            "title": TITLE,
            "description": "Triggers on the business events of your order-to-cash systems "
            "(storefront, ERP, fulfilment), normalized by the webhook hub, and on the status "
            "of each order, customer and vendor; actions to look an object up, list events "
            "and replay a delivery.",
            "version": __version__,
            "contact": {"name": "Webhook Hub administrators"},
        },
        "host": where.netloc,
        "basePath": where.path.rstrip("/") or "/",
        "schemes": [where.scheme or "https"],
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "paths": paths,
        "definitions": definitions,
        "parameters": {},
        "responses": {},
        "securityDefinitions": {
            "api_key": {
                "type": "apiKey",
                "in": "header",
                "name": "X-API-Key",
                "description": "A scoped token of the hub (POST /api/tokens)",
            },
        },
        "security": [{"api_key": []}],
        "tags": [],
        "x-ms-connector-metadata": [
            {"propertyName": "Website", "propertyValue": public_url},
            {"propertyName": "Categories", "propertyValue": "Business Management;IT Operations"},
        ],
    }


def properties() -> Doc:
    """The connector's apiProperties.json: the API-key connection and the brand colour."""
    return {
        "properties": {
            "connectionParameters": {
                "api_key": {
                    "type": "securestring",
                    "uiDefinition": {
                        "displayName": "API key",
                        "description": "A scoped token of the hub, made by its admin with "
                        "POST /api/tokens",
                        "tooltip": "The token's subscriptions are the flows' triggers",
                        "constraints": {"tabIndex": 2, "clearText": False, "required": "true"},
                    },
                }
            },
            "iconBrandColor": BRAND_COLOR,
            "capabilities": [],
            "publisher": "Webhook Hub",
            "stackOwner": "Webhook Hub",
        }
    }


def icon_png() -> bytes:
    """The connector's 230x230 icon: a hub on the brand colour."""
    return icon.hub_icon(230, BRAND_COLOR)


def _definition_name(event_type: str) -> str:
    return "Message_" + re.sub(r"[^A-Za-z0-9]", "_", event_type)


def _message(event_type: EventType) -> Doc:
    lowered = to_swagger(message_schema(event_type))
    lowered.pop("example", None)
    return lowered


def _operation_id(prefix: str, event_type: str) -> str:
    words = re.split(r"[._]", event_type)
    return prefix + "".join(w.capitalize() for w in words)


CALLBACK = {
    "type": "string",
    "title": "Callback URL",
    "description": "Where the hub delivers; the platform fills it in",
    "x-ms-notification-url": True,
    "x-ms-visibility": "internal",
}
# The designer parses application/json only. The callback's host would get it by default
# (`*.logic.azure.com`), but a flow behind another host (a sovereign cloud, a custom domain)
# would not, so every subscribe operation asks for it: required, internal, with its default,
# which is how the platform sends a value the maker never sees.
CONTENT_MODE = {
    "type": "string",
    "title": "Content mode",
    "description": "Messages as plain JSON, which the flow designer parses",
    "default": "json",
    "enum": ["json"],
    "x-ms-visibility": "internal",
}
COMPANY = {
    "type": "string",
    "title": "Company",
    "description": "Only events of this company or legal entity (all when empty)",
    "x-ms-summary": "Company",
    "x-ms-visibility": "advanced",
}


def _subscribe_responses(described: str) -> Doc:
    return {
        "201": {
            "description": described,
            "headers": {
                "Location": {"type": "string", "description": "The subscription; DELETE it to stop"}
            },
            "schema": {"$ref": "#/definitions/Subscription"},
        },
        "default": {"description": "A problem (RFC 9457) saying what is wrong"},
    }


def _subscribing(body: Doc, required: list[str], subscribed_to: str) -> Doc:
    """What every trigger shares: the body parameter (with JSON messages asked for) and the
    201 with its Location."""
    body = {**body, "content_mode": CONTENT_MODE}
    required = [*required, "content_mode"]
    return {
        "x-ms-trigger": "single",
        "parameters": [
            {
                "name": "body",
                "in": "body",
                "required": True,
                "description": "The subscription",
                "x-ms-summary": "Subscription",
                "schema": {"type": "object", "required": required, "properties": body},
            }
        ],
        "responses": _subscribe_responses(f"Subscribed to {subscribed_to}"),
    }


def _delivers(event_type: str, definition_name: str) -> Doc:
    return {
        "x-ms-notification-content": {
            "description": f"The {event_type} message",
            "schema": {"$ref": f"#/definitions/{definition_name}"},
        }
    }


def _trigger(event_type: EventType, definition_name: str) -> Doc:
    summary = trigger_summary(event_type.name)
    return {
        "operationId": _operation_id("On", event_type.name),
        "summary": summary,
        "description": f"{summary}: {event_type.description}".strip(),
        "x-ms-trigger-hint": f"Starts when the hub receives {event_type.name}",
        **_subscribing(
            {"callbackUrl": CALLBACK, "company": COMPANY}, ["callbackUrl"], event_type.name
        ),
        **_delivers(event_type.name, definition_name),
    }


def _status_trigger(object_type: str, statuses: list[str], definition_name: str) -> Doc:
    noun = object_type.replace("_", " ")
    article = "an" if noun[:1] in "aeiou" else "a"
    summary = f"When {article} {noun}'s status changes"
    to_status = {
        "type": "string",
        "title": "New status",
        "description": "The status entered (any when empty)",
        "x-ms-summary": "New status",
        "enum": statuses,
    }
    status_filter = {
        "type": "object",
        "title": "Status",
        "description": "Only changes to this status",
        "x-ms-summary": "Status",
        "properties": {"to_status": to_status},
    }
    body = {"callbackUrl": CALLBACK, "company": COMPANY, "filter": status_filter}
    status_type = f"{object_type}.status_changed"
    return {
        "operationId": _operation_id("OnStatusChanged", object_type),
        "summary": summary,
        "description": f"{summary} under the hub's status rules, to any status or to one",
        **_subscribing(body, ["callbackUrl"], status_type),
        **_delivers(status_type, definition_name),
    }


EVENT_TYPE_CHOICE = {
    "type": "string",
    "title": "Event type",
    "description": "The event type, from the hub's catalog",
    "x-ms-summary": "Event type",
    "x-ms-dynamic-values": {
        "operationId": "ListEventTypes",
        "value-collection": "items",
        "value-path": "type",
        "value-title": "type",
    },
}
GENERIC_TRIGGER: Doc = {
    "operationId": "OnBusinessEvent",
    "summary": "When a business event occurs",
    "description": "When the hub receives an event of the type chosen from its catalog",
    **_subscribing(
        {"callbackUrl": CALLBACK, "event": EVENT_TYPE_CHOICE, "company": COMPANY},
        ["callbackUrl", "event"],
        "the chosen type",
    ),
    "x-ms-notification-content": {
        "description": "The message of the chosen type",
        "schema": {
            "type": "object",
            "x-ms-dynamic-schema": {
                "operationId": "GetMessageSchema",
                "parameters": {"type": {"parameter": "event"}, "format": "swagger"},
                "value-path": "schema",
            },
        },
    },
}

UNSUBSCRIBE: Doc = {
    "operationId": "Unsubscribe",
    "summary": "Delete a subscription",
    "description": "The platform calls it when the flow is turned off or deleted",
    "x-ms-visibility": "internal",
    "parameters": [{"name": "id", "in": "path", "required": True, "type": "string",
                    "description": "The subscription id", "x-ms-summary": "Subscription id"}],
    "responses": {"204": {"description": "Deleted"},
                  "default": {"description": "A problem (RFC 9457)"}},
}  # fmt: skip

LIST_EVENT_TYPES: Doc = {
    "operationId": "ListEventTypes",
    "summary": "List event types",
    "description": "The hub's event catalog, for the event-type dropdown",
    "x-ms-visibility": "internal",
    "parameters": [],
    "responses": {
        "200": {
            "description": "The catalog",
            "schema": {
                "type": "object",
                "properties": {
                    "items": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "type": {"type": "string", "description": "Event type"},
                                "version": {"type": "string", "description": "Schema version"},
                                "description": {"type": "string", "description": "What it is"},
                            },
                        },
                    }
                },
            },
        },
        "default": {"description": "A problem (RFC 9457)"},
    },
}

MESSAGE_SCHEMA: Doc = {
    "operationId": "GetMessageSchema",
    "summary": "Get the schema of a message",
    "description": "The delivered message's schema, for the designer's dynamic content",
    "x-ms-visibility": "internal",
    "parameters": [
        {
            "name": "type",
            "in": "path",
            "required": True,
            "type": "string",
            "description": "The event type",
            "x-ms-summary": "Event type",
        },
        {
            "name": "format",
            "in": "query",
            "required": False,
            "type": "string",
            "enum": ["swagger"],
            "default": "swagger",
            "description": "swagger: the Swagger 2.0 form, under schema",
            "x-ms-summary": "Format",
        },
    ],
    "responses": {
        "200": {
            "description": "The schema",
            "schema": {"type": "object", "properties": {"schema": {"type": "object"}}},
        },
        "default": {"description": "A problem (RFC 9457)"},
    },
}


def _get_object(object_types: list[str]) -> Doc:
    return {
        "operationId": "GetObject",
        "summary": "Find a business object",
        "description": "An order, customer or vendor by any reference it is known by (#1042, "
        "a Shopify id, a D365 sales order, a tracking number), with its status",
        "parameters": [
            {
                "name": "type",
                "in": "path",
                "required": True,
                "type": "string",
                "enum": object_types,
                "description": "The object type",
                "x-ms-summary": "Object type",
            },
            {
                "name": "key",
                "in": "path",
                "required": True,
                "type": "string",
                "description": "Any reference of the object",
                "x-ms-summary": "Reference",
            },
        ],
        "responses": {
            "200": {
                "description": "The object",
                "schema": {"$ref": "#/definitions/BusinessObject"},
            },
            "default": {"description": "A problem (RFC 9457); 404 when none is known"},
        },
    }


def _list_events(event_types: list[str]) -> Doc:
    return {
        "operationId": "ListEvents",
        "summary": "List recent events",
        "description": "The newest events of a type, newest first",
        "parameters": [
            {
                "name": "type",
                "in": "query",
                "required": True,
                "type": "string",
                "enum": event_types,
                "description": "The event type",
                "x-ms-summary": "Event type",
            },
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "type": "integer",
                "minimum": 1,
                "maximum": 500,
                "default": 20,
                "description": "At most this many",
                "x-ms-summary": "Limit",
            },
        ],
        "responses": {
            "200": {"description": "The events", "schema": {"$ref": "#/definitions/EventPage"}},
            "default": {"description": "A problem (RFC 9457)"},
        },
    }


REPLAY: Doc = {
    "operationId": "ReplayDelivery",
    "summary": "Replay a delivery",
    "description": "Send a delivery of one of your subscriptions again, with its own id",
    "parameters": [
        {
            "name": "id",
            "in": "path",
            "required": True,
            "type": "string",
            "description": "The delivery id (dlv_...)",
            "x-ms-summary": "Delivery id",
        },
        {
            "name": "body",
            "in": "body",
            "required": False,
            "description": "Nothing",
            "x-ms-visibility": "internal",
            "schema": {"type": "object"},
        },
    ],
    "responses": {
        "202": {"description": "Queued", "schema": {"$ref": "#/definitions/Delivery"}},
        "default": {"description": "A problem (RFC 9457)"},
    },
}

TEXT = {"type": "string"}


def _record(description: str, extra: Doc | None = None, **texts: str) -> Doc:
    """An object of text fields, each described (the designer shows the descriptions)."""
    fields = {name: {**TEXT, "description": said} for name, said in texts.items()}
    return {"type": "object", "description": description,
            "properties": {**fields, **(extra or {})}}  # fmt: skip


def _list_of(items: Doc, what: str) -> Doc:
    return {"type": "array", "items": items, "description": what}


SUBSCRIPTION = _record(
    "A subscription", {"events": _list_of(TEXT, "Event types")},
    id="Subscription id", url="Where it delivers",
    state="active, paused, pending_validation or disabled",
    content_mode="json or cloudevents", secret="Its signing secret, shown once",
)  # fmt: skip
BUSINESS_OBJECT = _record(
    "A business object and where it stands",
    {"since": {**TEXT, "format": "date-time", "description": "In this status since"},
     "aliases": _list_of(TEXT, "Every reference"),
     "facts": {"type": "object", "description": "Latest total, currency, carrier, ..."}},
    id="The hub's id", type="order, customer, vendor, product or purchase_order", key="Its key",
    status="Status under the rules", state="IOM-style state", reason="Status reason",
    company="Company or legal entity",
)  # fmt: skip
DELIVERY = _record(
    "A delivery",
    id="Delivery id",
    event_id="The event",
    subscription_id="The subscription",
    status="pending, delivered or failed",
)
EVENT = _record(
    "An event",
    {"time": {**TEXT, "format": "date-time", "description": "When it happened"},
     "data": {"type": "object", "description": "The event's data"}},
    id="Event id", type="Event type", subject="What it is about",
)  # fmt: skip
EVENT_PAGE = _record(
    "A page of events", {"items": _list_of(EVENT, "The events")}, next_cursor="The next page"
)
