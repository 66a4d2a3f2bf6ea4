"""``POST /api/subscriptions/{id}/test``: send a subscription a test event now.

The event is the catalog's example of a type the subscription takes (or the one asked for),
signed with the subscription's keys and posted as a delivery would be, but outside the queue:
it is not stored, not retried, not routed to anyone else and not counted in the subscription's
health, so a test can never reach another subscriber or move a business object. The answer
says what the endpoint did; the audit trail records that a test was sent.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hub.api.audit import audit_names
from hub.api.params import accepts, hub_of, json_object, text_param
from hub.api.subscriptions import own_subscription
from hub.errors import Conflict, SchemaViolation, Violation
from hub.model import SubscriptionState
from hub.outbound.message import example_event
from hub.outbound.subscriptions import example_type


@accepts()
async def send_test_event(request: Request) -> JSONResponse:
    """``{"type"?}`` → what the endpoint answered (200 even when it failed: the test ran)."""
    hub = hub_of(request)
    body = await json_object(request, ("type",))
    asked = text_param(body, "type")
    sub = own_subscription(request)
    if sub.state == SubscriptionState.PENDING_VALIDATION:
        raise Conflict("the target has not given consent yet: validate the subscription first")
    examples = sorted(t.name for t in hub.catalog if t.pattern is None and t.example is not None)
    chosen = example_type(sub, examples, asked)
    if chosen is None:
        takes = ", ".join(sub.events)
        why = f"{asked[:64]!r} is not a type this subscription takes ({takes})" if asked else (
            f"no catalog type with an example matches {takes}")  # fmt: skip
        raise SchemaViolation(why, [Violation("/type", why)])
    event = example_event(hub.catalog.get(chosen), sub.company, hub.clock.now())
    trial = await hub.worker.try_event(event, sub)
    audit_names(request, event_id=event.id, event_type=chosen)
    return JSONResponse({
        "subscription_id": sub.id, "event_id": event.id, "type": chosen,
        "succeeded": trial.succeeded, "status": trial.status, "response": trial.response,
        "error": trial.error, "duration_ms": round(trial.duration_ms, 1),
    })  # fmt: skip


ROUTES = [Route("/subscriptions/{id}/test", send_test_event, methods=["POST"])]
