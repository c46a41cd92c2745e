"""Structured output: `response_format` turned into a llama.cpp grammar the reply must match.

`{"type": "json_object"}` takes llama.cpp's JSON grammar (any object); `{"type": "json_schema"}`
takes the grammar llama-cpp-python's converter writes from the schema. The converter reads some
keywords and silently passes over others, so every schema is first walked here, keyword by
keyword, the way the converter would read it: a keyword it would not enforce (`minimum`,
`oneOf`, `uniqueItems`, `format: email`, ...) is refused by name with a 400 rather than promised
and broken. Annotations (`title`, `description`, ...) are let through and left out of what the
converter sees.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from llama_cpp.llama_grammar import JSON_GBNF, json_schema_to_gbnf

from engine.api.errors import invalid, unsupported

PARAM = "response_format"
SCHEMA_PARAM = "response_format.json_schema.schema"
MAX_SCHEMA_CHARS = 100_000

ANNOTATIONS = frozenset({
    "title", "description", "default", "examples", "$schema", "$id", "$comment", "deprecated",
    "readOnly", "writeOnly",
})
DEFINITIONS = ("$defs", "definitions")
PRIMITIVES = frozenset({"string", "number", "integer", "boolean", "null", "object", "array"})
DATE_FORMATS = frozenset({"date", "time", "date-time"})
UUID_FORMATS = frozenset({"uuid", "uuid1", "uuid2", "uuid3", "uuid4", "uuid5"})


# Any JSON object: `{"type": "json_object"}`, and the Prompt Lab's answers to a JSON task.
JSON_OBJECT_GRAMMAR = str(JSON_GBNF)


def grammar_for(response_format: object) -> str:
    """The GBNF a reply must match, or "" for plain text; raises ApiError (400) otherwise."""
    if response_format is None:
        return ""
    if not isinstance(response_format, Mapping):
        raise invalid("response_format must be an object.", PARAM)
    kind = response_format.get("type")
    if kind == "text":
        return ""
    if kind == "json_object":
        return JSON_OBJECT_GRAMMAR
    if kind != "json_schema":
        raise invalid("response_format.type must be 'text', 'json_object' or 'json_schema'.",
                      f"{PARAM}.type")
    spec = response_format.get("json_schema")
    if not isinstance(spec, Mapping):
        raise invalid("response_format.json_schema must be an object with a schema.",
                      f"{PARAM}.json_schema")
    strict = spec.get("strict")
    if strict is not None and not isinstance(strict, bool):
        raise invalid("response_format.json_schema.strict must be true or false.",
                      f"{PARAM}.json_schema.strict")
    schema = spec.get("schema")
    if not isinstance(schema, Mapping):
        raise invalid("response_format.json_schema.schema must be an object.", SCHEMA_PARAM)
    return schema_grammar(schema, SCHEMA_PARAM)


def schema_grammar(schema: Mapping[str, Any], param: str) -> str:
    """The GBNF of JSON matching `schema`; a keyword the grammar cannot enforce is a 400 that
    names it, under `param` (the request field the schema came in)."""
    if len(json.dumps(schema)) > MAX_SCHEMA_CHARS:
        raise invalid(f"The schema is longer than {MAX_SCHEMA_CHARS:,} characters.", param)
    cleaned = _Checker(schema, param).clean(schema, "schema")
    try:
        grammar = str(json_schema_to_gbnf(json.dumps(cleaned)))
    except (ValueError, AssertionError, KeyError, TypeError, RecursionError) as error:
        raise unsupported(param, f"This schema ({error})") from None
    return "\n".join(_JSON_SAFE_RULES.get(line, line) for line in grammar.splitlines())


# The converter's characters inside a JSON string let control characters through (a raw
# newline), and its `.` in patterns lets a raw quote through: either makes JSON no parser
# reads. llama.cpp's own converter has since closed both the same way.
_SAFE_CHAR = r'[^"\\\x7F\x00-\x1F]'
_ESCAPE = r'"\\" (["\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F])'
_JSON_SAFE_RULES = {
    rf'char ::= [^"\\] | {_ESCAPE}': f"char ::= {_SAFE_CHAR} | {_ESCAPE}",
    r"dot ::= [^\x0A\x0D]": f"dot ::= {_SAFE_CHAR}",
}


class _Checker:
    """Walks a schema as the converter reads it; returns a copy without annotations."""

    def __init__(self, root: Mapping[str, Any], param: str) -> None:
        self._root = root
        self._param = param  # the request field the schema came in, named in refusals

    def clean(self, node: object, path: str) -> dict[str, Any]:
        if node is True:
            return {}
        if not isinstance(node, Mapping):
            raise invalid(f"{path} must be a schema (an object).", self._param)
        schema = {key: value for key, value in node.items() if key not in ANNOTATIONS}
        for name in DEFINITIONS:
            if name in schema:
                defs = schema[name]
                if not isinstance(defs, Mapping):
                    raise invalid(f"{path}.{name} must be an object.", self._param)
                schema[name] = {key: self.clean(value, f"{path}.{name}.{key}")
                                for key, value in defs.items()}
        used = self._branch(schema, path)
        for key in schema:
            if key not in used and key not in DEFINITIONS:
                raise unsupported(self._param, f"The schema keyword '{key}' (at {path})")
        return schema

    def _branch(self, schema: dict[str, Any], path: str) -> set[str]:
        """The keywords the converter enforces for this node (it reads the first that applies,
        in this order); sub-schemas are cleaned in place."""
        kind = schema.get("type")
        if "oneOf" in schema:
            raise unsupported(self._param, f"The schema keyword 'oneOf' (at {path}; anyOf is)")
        if "$ref" in schema:
            ref = schema["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#/"):
                raise unsupported(self._param, f"The schema keyword '$ref' outside the schema "
                                  f"(at {path})")
            self._resolve(ref, path)
            return {"$ref"}
        if "anyOf" in schema:
            options = schema["anyOf"]
            if not isinstance(options, list) or not options:
                raise invalid(f"{path}.anyOf must be a non-empty list.", self._param)
            schema["anyOf"] = [self.clean(option, f"{path}.anyOf[{index}]")
                               for index, option in enumerate(options)]
            return {"anyOf"}
        if isinstance(kind, list):
            if not kind or not all(isinstance(t, str) and t in PRIMITIVES for t in kind):
                raise invalid(f"{path}.type must name JSON types.", self._param)
            return {"type"}
        if kind is not None and kind not in PRIMITIVES:
            raise invalid(f"{path}.type must be one of {', '.join(sorted(PRIMITIVES))}.",
                          self._param)
        if "const" in schema:
            return {"const", "type"}
        if "enum" in schema:
            if not isinstance(schema["enum"], list) or not schema["enum"]:
                raise invalid(f"{path}.enum must be a non-empty list.", self._param)
            return {"enum", "type"}
        if kind in (None, "object") and ("properties" in schema or (
                "additionalProperties" in schema and schema["additionalProperties"] is not True)):
            return self._object(schema, path)
        if "allOf" in schema:
            raise unsupported(self._param, f"The schema keyword 'allOf' (at {path})")
        if kind in (None, "array") and ("items" in schema or "prefixItems" in schema):
            return self._array(schema, path)
        if kind in (None, "string") and "pattern" in schema:
            if not isinstance(schema["pattern"], str):
                raise invalid(f"{path}.pattern must be a string.", self._param)
            return {"type", "pattern"}
        if "format" in schema:
            form = schema["format"]
            if kind in (None, "string") and (form in UUID_FORMATS or form in DATE_FORMATS):
                return {"type", "format"}
            raise unsupported(self._param, f"The schema keyword 'format' with value {form!r} "
                              f"(at {path}; date, time, date-time and uuid are)")
        if kind == "string" and ("minLength" in schema or "maxLength" in schema):
            for name in ("minLength", "maxLength"):
                if name in schema and not _count(schema[name]):
                    raise invalid(f"{path}.{name} must be a whole number >= 0.", self._param)
            return {"type", "minLength", "maxLength"}
        if kind is None and schema:
            return set()  # nothing it reads: each keyword left is refused by name
        if kind == "object" and schema.get("additionalProperties", True) is True:
            return {"type", "additionalProperties"}  # any object
        return {"type"}

    def _object(self, schema: dict[str, Any], path: str) -> set[str]:
        properties = schema.get("properties", {})
        if not isinstance(properties, Mapping):
            raise invalid(f"{path}.properties must be an object.", self._param)
        schema["properties"] = {name: self.clean(value, f"{path}.properties.{name}")
                                for name, value in properties.items()}
        required = schema.get("required", [])
        if not isinstance(required, list) or not all(isinstance(n, str) for n in required):
            raise invalid(f"{path}.required must be a list of property names.", self._param)
        missing = [name for name in required if name not in properties]
        if missing:
            raise unsupported(self._param, f"A required property that is not in properties "
                              f"({', '.join(missing)} at {path})")
        extra = schema.get("additionalProperties")
        if isinstance(extra, Mapping):
            schema["additionalProperties"] = self.clean(extra, f"{path}.additionalProperties")
        elif extra is not None and not isinstance(extra, bool):
            raise invalid(f"{path}.additionalProperties must be a schema or a boolean.",
                          self._param)
        return {"type", "properties", "required", "additionalProperties"}

    def _array(self, schema: dict[str, Any], path: str) -> set[str]:
        items = schema.get("items") or schema.get("prefixItems")
        if isinstance(items, list):  # a tuple: exactly these, in order
            key = "items" if schema.get("items") else "prefixItems"
            schema[key] = [self.clean(item, f"{path}.{key}[{index}]")
                           for index, item in enumerate(items)]
            if "items" in schema and key == "prefixItems" and schema["items"] is not False:
                raise unsupported(self._param, f"The schema keyword 'items' beside "
                                  f"prefixItems (at {path})")
            return {"type", key, "items"}
        if "prefixItems" in schema:
            raise unsupported(self._param, f"The schema keyword 'prefixItems' beside items "
                              f"(at {path})")
        schema["items"] = self.clean(items if items is not None else {}, f"{path}.items")
        if not schema["items"]:  # any items: the converter's plain array (it needs no items)
            del schema["items"]
            schema["type"] = "array"
            return {"type"}
        for name in ("minItems", "maxItems"):
            if name in schema and not _count(schema[name]):
                raise invalid(f"{path}.{name} must be a whole number >= 0.", self._param)
        return {"type", "items", "minItems", "maxItems"}

    def _resolve(self, ref: str, path: str) -> None:
        target: object = self._root
        for part in ref[2:].split("/"):
            if not isinstance(target, Mapping) or part not in target:
                raise invalid(f"{path}.$ref {ref!r} points at nothing in the schema.",
                              self._param)
            target = target[part]


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
