"""JSON Schema 2020-12 lowered to the Swagger 2.0 schema subset that low-code designers read.

Power Automate's and Logic Apps' custom connectors take only OpenAPI 2.0, whose schema object
is a subset of draft 4: one `type` (no `null`), no `const`, `anyOf`, `oneOf`, `not`,
`$defs`, `examples` or tuple `items`, and a boolean `exclusiveMinimum`. The designer turns the
result into dynamic content, field by field.

The rule: the lowered schema accepts everything the original accepts (it may accept a little
more), so that a delivered message never fails the schema the flow was built on. `null` becomes
`x-nullable`, `const` a one-value `enum`, a union is folded into the loosest schema that still
names every field, and `$ref`s are inlined.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Keywords of the Swagger 2.0 schema object, kept as they are once their values are lowered.
KEPT = {"title", "description", "default", "format", "multipleOf", "maximum", "minimum",
        "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems",
        "maxProperties", "minProperties", "required", "enum", "type", "readOnly",
        "x-nullable"}  # fmt: skip
UNIONS = ("anyOf", "oneOf")
MAX_DEPTH = 32  # a recursive $ref is cut here, open to any value

Schema = dict[str, Any]


def to_swagger(schema: Mapping[str, Any] | bool, root: Mapping[str, Any] | None = None) -> Schema:
    """The Swagger 2.0 form of a schema; `root` resolves its local `$ref`s (itself if None)."""
    if isinstance(schema, bool):
        return {}
    return _lower(schema, root if root is not None else schema, 0)


def _lower(schema: Mapping[str, Any] | bool, root: Mapping[str, Any], depth: int) -> Schema:
    if isinstance(schema, bool) or depth > MAX_DEPTH:
        return {}  # true, or a recursion cut short: any value
    if "$ref" in schema:
        target = _resolve(str(schema["$ref"]), root)
        beside = {k: v for k, v in schema.items() if k != "$ref"}
        merged = {**target, **beside} if isinstance(target, Mapping) else beside
        return _lower(merged, root, depth + 1)
    out: Schema = {}
    for key, value in schema.items():
        if key in KEPT:
            out[key] = list(value) if isinstance(value, list) else value
        elif key.startswith("x-ms-"):
            out[key] = value
    if "examples" in schema and isinstance(schema["examples"], list) and schema["examples"]:
        out["example"] = schema["examples"][0]
    _lower_type(out)
    if "const" in schema:
        out["enum"] = [schema["const"]]
    _lower_null_enum(out)
    _lower_bounds(schema, out)
    if "properties" in schema:
        out["properties"] = {name: _lower(sub, root, depth + 1)
                             for name, sub in schema["properties"].items()}  # fmt: skip
    additional = schema.get("additionalProperties")
    if isinstance(additional, Mapping):
        out["additionalProperties"] = _lower(additional, root, depth + 1)
    elif additional is False and "patternProperties" not in schema:
        out["additionalProperties"] = False
    items = schema.get("items")
    if isinstance(items, Mapping) and "prefixItems" not in schema:
        out["items"] = _lower(items, root, depth + 1)
    elif out.get("type") == "array":
        out["items"] = {}  # Swagger requires items on an array; tuples become any items
    for key in UNIONS:
        if key in schema:
            out = _meet(out, _fold([_lower(s, root, depth + 1) for s in schema[key]]))
    if "allOf" in schema:
        for part in schema["allOf"]:
            out = _meet(out, _lower(part, root, depth + 1))
    for key in ("required", "enum"):  # draft 4 wants at least one of each, when present
        if key in out and not out[key]:
            del out[key]
    return out


def _resolve(ref: str, root: Mapping[str, Any]) -> Any:
    """A local reference (``#/$defs/address``); an outside one is left open."""
    if not ref.startswith("#"):
        return {}
    node: Any = root
    for part in [p for p in ref[1:].split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or part not in node:
            return {}
        node = node[part]
    return node


def _lower_type(out: Schema) -> None:
    kind = out.get("type")
    if not isinstance(kind, list):
        if kind == "null":
            del out["type"]
            out["x-nullable"] = True
        return
    real = [k for k in kind if k != "null"]
    if "null" in kind:
        out["x-nullable"] = True
    if len(real) == 1:
        out["type"] = real[0]
    elif set(real) == {"integer", "number"}:
        out["type"] = "number"
    else:
        del out["type"]  # several types: any value


def _lower_null_enum(out: Schema) -> None:
    if "enum" in out and None in out["enum"]:
        out["enum"] = [v for v in out["enum"] if v is not None]
        out["x-nullable"] = True
        if not out["enum"]:
            del out["enum"]


def _lower_bounds(schema: Mapping[str, Any], out: Schema) -> None:
    """2020-12's numeric exclusive bounds are draft 4's boolean flags beside the bound."""
    for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = schema.get(exclusive)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        tighter = bound not in schema or (
            value >= schema[bound] if bound == "minimum" else value <= schema[bound]
        )
        if tighter:
            out[bound] = value
            out[exclusive] = True


def _fold(branches: list[Schema]) -> Schema:
    """One schema accepting whatever any branch accepts, keeping every branch's fields."""
    if not branches:
        return {}
    nullable = any(b.get("x-nullable") for b in branches)
    real = [b for b in branches if b != {"x-nullable": True}]
    if not real:
        return {"x-nullable": True}
    folded = dict(real[0]) if len(real) == 1 else _loosest(real)
    if nullable:
        folded["x-nullable"] = True
    return folded


def _loosest(branches: list[Schema]) -> Schema:
    kinds = {b.get("type") for b in branches}
    folded: Schema = {}
    if len(kinds) == 1 and None not in kinds:
        folded["type"] = kinds.pop()
    elif kinds == {"integer", "number"}:
        folded["type"] = "number"
    if all("enum" in b for b in branches):
        folded["enum"] = [v for b in branches for v in b["enum"]]
    described = [b["description"] for b in branches if "description" in b]
    if described:
        folded["description"] = " Or: ".join(dict.fromkeys(described))
    if any("properties" in b for b in branches):
        names: dict[str, list[Schema]] = {}
        for b in branches:
            for name, sub in b.get("properties", {}).items():
                names.setdefault(name, []).append(sub)
        folded["properties"] = {n: _fold(s) if len(s) > 1 else s[0] for n, s in names.items()}
        required = [set(b.get("required", [])) for b in branches]
        common = sorted(set.intersection(*required)) if required else []
        if common:
            folded["required"] = common
    if all(b.get("type") == "array" for b in branches):
        folded["items"] = _fold([b.get("items", {}) for b in branches])
    return folded


def _meet(outer: Schema, inner: Schema) -> Schema:
    """Both at once (an `allOf`, or a union beside the schema's own keywords), merged."""
    merged = dict(outer)
    for key, value in inner.items():
        if key == "properties":
            props = dict(merged.get("properties", {}))
            for name, sub in value.items():
                props[name] = _meet(props[name], sub) if name in props else sub
            merged["properties"] = props
        elif key == "required":
            merged["required"] = sorted({*merged.get("required", []), *value})
        elif key == "x-nullable":
            # Null passes both only if the outer schema lets it through too.
            if "type" not in outer or outer.get("x-nullable"):
                merged["x-nullable"] = value
        elif key not in merged:
            merged[key] = value
    if merged.get("additionalProperties") is False and "properties" in inner:
        # Two parts each closed to the other's fields would accept nothing: keep it open.
        del merged["additionalProperties"]
    return merged


FORBIDDEN = {"anyOf", "oneOf", "not", "const", "$defs", "definitions", "examples",
             "prefixItems", "if", "then", "else", "dependentRequired", "dependentSchemas",
             "unevaluatedProperties", "unevaluatedItems", "patternProperties", "$schema",
             "$id", "propertyNames", "contains", "$ref"}  # fmt: skip


def forbidden_keywords(schema: Any, at: str = "") -> list[str]:
    """Where a lowered schema still uses what Swagger 2.0 lacks (for tests and `hub check`)."""
    found: list[str] = []
    if isinstance(schema, Mapping):
        for key, value in schema.items():
            if key in FORBIDDEN:
                found.append(f"{at}/{key}")
            if key == "type" and not isinstance(value, str):
                found.append(f"{at}/type")
            if key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
                found.append(f"{at}/{key}")
            if key == "properties" and isinstance(value, Mapping):
                for name, sub in value.items():
                    found += forbidden_keywords(sub, f"{at}/properties/{name}")
            elif key in ("items", "additionalProperties"):
                found += forbidden_keywords(value, f"{at}/{key}")
    return found


def as_draft4(schema: Any) -> Any:
    """A lowered schema as plain draft 4 (x-nullable spelled as a null type), to validate
    samples against in tests exactly as a designer reads it."""
    if not isinstance(schema, Mapping):
        return schema
    out = {k: as_draft4(v) if k in ("items", "additionalProperties") else v
           for k, v in schema.items() if k != "example"}  # fmt: skip
    if "properties" in schema:
        out["properties"] = {n: as_draft4(s) for n, s in schema["properties"].items()}
    if schema.get("x-nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out
