"""Consumer contract checks: a consumer's narrow model against the producer's schema.

A consumer declares only the fields it reads (extra ones ignored). This check fails when
it reads a field the producer does not send, requires one the producer may leave out, or
expects a type the producer's value may not have (a producer that may send ``null``
where the consumer wants a string, a date-time where it wants a date ...)::

    def test_messaging_reads_what_accounts_sends():
        assert_consumer_compatible(UserActivatedIn, producer_schema("accounts.user.activated", 1))
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .catalogue import variants

Schema = dict[str, Any]


def consumer_contract_problems(consumer: type[BaseModel], producer: Schema) -> list[str]:
    """Every way ``consumer`` may fail on what the producer sends (empty: compatible)."""
    consumer_schema = consumer.model_json_schema(mode="validation")
    return _object_problems(consumer_schema, consumer_schema, producer, producer, path="")


def assert_consumer_compatible(consumer: type[BaseModel], producer: Schema) -> None:
    problems = consumer_contract_problems(consumer, producer)
    if problems:
        name = producer.get("x-event-type", producer.get("title", "the producer"))
        raise AssertionError(f"{consumer.__name__} does not fit {name}:\n  " + "\n  ".join(problems))


def _object_problems(c_node: Schema, c_root: Schema, p_node: Schema, p_root: Schema, path: str) -> list[str]:
    problems = []
    p_props = p_node.get("properties", {})
    p_required = set(p_node.get("required", ()))
    c_required = set(c_node.get("required", ()))
    for name, c_prop in c_node.get("properties", {}).items():
        where = f"{path}{name}"
        if name not in p_props:
            problems.append(f"{where}: read by the consumer, not sent by the producer")
            continue
        if name in c_required and name not in p_required:
            problems.append(f"{where}: required by the consumer, optional for the producer")
        problems += _value_problems(c_prop, c_root, p_props[name], p_root, where)
    return problems


def _value_problems(c_node: Schema, c_root: Schema, p_node: Schema, p_root: Schema, path: str) -> list[str]:
    """Each variant the producer may send must be accepted by one of the consumer's."""
    c_variants = variants(c_node, c_root)
    if any(not v for v in c_variants):  # the consumer accepts anything (Any)
        return []
    problems = []
    for p_variant in variants(p_node, p_root):
        fits = [c for c in c_variants if _accepts(c, p_variant)]
        if not fits:
            problems.append(
                f"{path}: the producer may send {_label(p_variant)}, the consumer expects "
                + " or ".join(_label(c) for c in c_variants)
            )
            continue
        if p_variant.get("type") == "object":
            nested = [_object_problems(c, c_root, p_variant, p_root, f"{path}.") for c in fits]
            problems += min(nested, key=len)
        elif p_variant.get("type") == "array":
            nested = [
                _value_problems(c.get("items", {}), c_root, p_variant.get("items", {}), p_root, f"{path}[]")
                for c in fits
            ]
            problems += min(nested, key=len)
    return problems


def _accepts(consumer: Schema, producer: Schema) -> bool:
    c_type, p_type = consumer.get("type"), producer.get("type")
    if c_type != p_type and not (c_type == "number" and p_type == "integer"):
        return False
    if "format" in consumer and consumer["format"] != producer.get("format"):
        return False
    if "enum" in consumer or "const" in consumer:
        allowed = set(map(repr, consumer.get("enum", [consumer.get("const")])))
        sent = producer.get("enum", [producer["const"]] if "const" in producer else None)
        return sent is not None and set(map(repr, sent)) <= allowed
    return True


def _label(node: Schema) -> str:
    kind = node.get("type", "anything")
    return f"{kind} ({node['format']})" if "format" in node else str(kind)
