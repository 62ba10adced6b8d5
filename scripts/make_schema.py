"""Writes offerlang/schemas/sessions-v1.request.schema.json from the contract and the ISO lists.

Run it after changing offerlang/language.py, offerlang/iso.py or a rule below;
tests/test_schema.py fails while the committed file and this script disagree.
Usage: python scripts/make_schema.py
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from offerlang.iso import COUNTRIES, CURRENCIES, LANGUAGES  # noqa: E402
from offerlang.language import (  # noqa: E402
    ACCOUNT_ID,
    ADHOC,
    CONTACT_FIELDS,
    DISCOUNT_KINDS,
    EXPIRATION_DAYS,
    INTERVALS,
    LOOKUP_KEY,
    PRODUCT_PATH,
    QUANTITY_BEHAVIORS,
    RENEW_MODES,
    TIER_KEY,
    DiscountKind,
)

# Contact fields that hold a code from a list (the $defs below); the others are free text.
CODED_CONTACT_FIELDS = ("country", "language")


def anchored(pattern: re.Pattern[str]) -> str:
    """A language pattern (matched with fullmatch) as a JSON Schema pattern (searched). Named
    groups are Python's syntax, not ECMA-262's (which JSON Schema patterns are): they become
    plain groups, so tools like ajv read the schema too."""
    return "^" + re.sub(r"\(\?P<\w+>", "(", pattern.pattern) + "$"


SCHEMA_PATH = ROOT / "offerlang" / "schemas" / "sessions-v1.request.schema.json"


def money(description: str) -> dict:
    """Amounts per currency (`$defs/currency`: each schema has its own list), never negative."""
    return {
        "description": description,
        "type": "object",
        "minProperties": 1,
        "propertyNames": {"$ref": "#/$defs/currency"},
        "additionalProperties": {"type": "number", "minimum": 0},
    }


def strings() -> dict:
    """Names to strings (tags, attributes). No object may be empty: the language cannot write
    one (the compiler leaves the field out)."""
    return {
        "type": "object",
        "minProperties": 1,
        "propertyNames": {"minLength": 1},
        "additionalProperties": {"type": "string"},
    }


def request_schema(
    path: Path,
    title: str,
    description: str,
    required: list[str],
    properties: dict,
    defs: dict,
    all_of: list[dict] | None = None,
) -> dict:
    """The schema document of a request body, written to PATH: an object with PROPERTIES and
    nothing else, REQUIRED among them, under the rules of ALL_OF, with DEFS."""
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://offerlang.dev/schemas/{path.name}",
        "title": title,
        "description": description,
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": properties,
    }
    if all_of is not None:
        schema["allOf"] = all_of
    schema["$defs"] = defs
    return schema


def written(schema: dict) -> str:
    """A schema as its file holds it: indented, non-ASCII as is, a newline at the end."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}")


def build() -> dict:
    text = {"type": "string", "minLength": 1}
    pricing = {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {
            "price": {"$ref": "#/$defs/money"},
            "trial": {"type": "integer", "minimum": 0, "description": "trial length in days; 0 is no trial"},
            "paymentCollected": {"type": "boolean"},
            "paidTrial": {"type": "boolean"},
            "trialPrice": {"$ref": "#/$defs/money"},
            "renew": {"enum": list(RENEW_MODES)},
            "interval": {"enum": list(INTERVALS)},
            "intervalLength": {"type": "integer", "minimum": 1},
            "quantityBehavior": {"enum": list(QUANTITY_BEHAVIORS)},
            "quantityDefault": {"type": "integer", "minimum": 1},
            "discountType": {"enum": list(DISCOUNT_KINDS)},
            "discountDuration": {"type": "integer", "minimum": 1},
            "quantityDiscounts": {
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"pattern": anchored(TIER_KEY)},
            },
            "setupFee": {
                "type": "object",
                "additionalProperties": False,
                "minProperties": 1,
                "properties": {
                    "title": {
                        "type": "object",
                        "minProperties": 1,
                        "propertyNames": {"$ref": "#/$defs/language"},
                        "additionalProperties": {"type": "string"},
                    },
                    "price": {"$ref": "#/$defs/money"},
                },
            },
        },
        "dependentRequired": {
            "intervalLength": ["interval"],
            "discountType": ["quantityDiscounts"],
            "quantityDiscounts": ["discountType"],
            "discountDuration": ["quantityDiscounts"],
        },
        "allOf": [
            {
                "description": "a paid trial needs a trial price",
                "if": {"required": ["paidTrial"], "properties": {"paidTrial": {"const": True}}},
                "then": {"required": ["trialPrice"]},
            },
            {
                "description": "every interval but adhoc needs a length; adhoc takes none",
                "if": {"required": ["interval"], "properties": {"interval": {"const": ADHOC}}},
                "then": {"not": {"required": ["intervalLength"]}},
                "else": {
                    "if": {"required": ["interval"]},
                    "then": {"required": ["intervalLength"]},
                },
            },
            {
                "description": "percent tiers are numbers in (0, 100]; amount tiers are money",
                "if": {
                    "required": ["discountType"],
                    "properties": {"discountType": {"const": DiscountKind.PERCENT.value}},
                },
                "then": {
                    "properties": {
                        "quantityDiscounts": {
                            "additionalProperties": {
                                "type": "number",
                                "exclusiveMinimum": 0,
                                "maximum": 100,
                            }
                        }
                    }
                },
                "else": {
                    "properties": {"quantityDiscounts": {"additionalProperties": {"$ref": "#/$defs/money"}}}
                },
            },
        ],
    }
    item = {
        "type": "object",
        "additionalProperties": False,
        "required": ["product"],
        "properties": {
            "product": {
                "type": "string",
                "pattern": anchored(PRODUCT_PATH),
                "description": "catalog product path",
            },
            "quantity": {"type": "integer", "minimum": 1},
            "pricing": {"$ref": "#/$defs/pricing"},
            "attributes": strings(),
        },
    }
    # Every field optional (FastSpring's schema): a contact pre-fills the checkout, and the
    # buyer types the rest. At least one, since the language cannot write an empty one.
    contact = {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            name: {"$ref": f"#/$defs/{name}"} if name in CODED_CONTACT_FIELDS else text
            for name in CONTACT_FIELDS
        },
    }
    return request_schema(
        SCHEMA_PATH,
        "FastSpring Sessions v1 request body (POST /sessions)",
        "The request body offerlang emits, with the house decisions of docs/language.md: "
        "at most one of account/contact, expiration 1..7, no fields beyond the contract, no "
        "empty objects. Generated by scripts/make_schema.py from offerlang/language.py.",
        required=["items"],
        properties={
            "account": {"type": "string", "pattern": anchored(ACCOUNT_ID)},
            "contact": contact,
            "lookup": {
                "type": "object",
                "additionalProperties": False,
                "required": ["custom"],
                "properties": {"custom": {"type": "string", "pattern": anchored(LOOKUP_KEY)}},
            },
            "tags": strings(),
            "coupon": text,
            "expiration": {"type": "integer", "minimum": EXPIRATION_DAYS[0], "maximum": EXPIRATION_DAYS[1]},
            "items": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/item"}},
        },
        all_of=[
            {
                "description": "an existing account or a contact for a new buyer, not both; with "
                "neither, the buyer enters their details at checkout",
                "not": {"type": "object", "required": ["account", "contact"]},
            }
        ],
        defs={
            "item": item,
            "pricing": pricing,
            "money": money(
                "Amounts per ISO 4217 currency. At most 2 decimals (0 for zero-decimal "
                "currencies such as JPY): offerlang checks that with exact decimals, which a "
                "binary-float `multipleOf` cannot do reliably."
            ),
            "currency": {"enum": sorted(CURRENCIES)},
            "country": {"enum": sorted(COUNTRIES)},
            "language": {"enum": sorted(LANGUAGES)},
        },
    )


def render() -> str:
    return written(build())


if __name__ == "__main__":
    write(SCHEMA_PATH, render())
