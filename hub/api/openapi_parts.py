"""The building blocks of the OpenAPI document: references, pages, parameters, operations."""

from __future__ import annotations

from typing import Any

JSON = "application/json"
PROBLEM = "application/problem+json"
ID = {"type": "string", "pattern": "^[a-z]{2,4}_[0-9a-f]{32}$"}
TIME = {"type": ["string", "null"], "format": "date-time"}
TEXT = {"type": ["string", "null"]}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def page(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {"items": {"type": "array", "items": ref(item)}, "next_cursor": TEXT},
    }


def counted(page: dict[str, Any]) -> dict[str, Any]:
    """A page that may carry ``total`` (asked for with ``count=true``)."""
    total = {"total": {"type": "integer", "description": "every match (count=true)"}}
    return page | {"properties": page["properties"] | total}


def query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}  # fmt: skip


def path(name: str = "id") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def problem_responses(*statuses: int) -> dict[str, Any]:
    return {
        str(status): {"description": "a problem (RFC 9457)",
                      "content": {PROBLEM: {"schema": ref("Problem")}}}
        for status in statuses
    }  # fmt: skip


def op(
    summary: str,
    ok: tuple[int, str | dict[str, Any] | None],
    problems: tuple[int, ...] = (400, 401, 403),
    params: list[dict[str, Any]] | None = None,
    body: str | dict[str, Any] | None = None,
    public: bool = False,
) -> dict[str, Any]:
    status, schema = ok
    response: dict[str, Any] = {"description": summary}
    if schema is not None:
        resolved = ref(schema) if isinstance(schema, str) else schema
        response["content"] = {JSON: {"schema": resolved}}
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {str(status): response, **problem_responses(*problems)},
    }
    if params:
        op["parameters"] = params
    if body is not None:
        resolved = ref(body) if isinstance(body, str) else body
        op["requestBody"] = {"required": False, "content": {JSON: {"schema": resolved}}}
    if public:
        op["security"] = []
    return op
