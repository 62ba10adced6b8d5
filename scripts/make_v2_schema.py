"""Writes offerlang/schemas/sessions-v2.request.schema.json from the contract and the facts.

The v2 twin of scripts/make_schema.py, built from the same module (offerlang/language.py) and
ISO lists. Run it after changing either, or a rule below; tests/test_targets.py fails while
the committed file and this script disagree.
Usage: python scripts/make_v2_schema.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_schema import anchored, money, request_schema, strings, write, written  # noqa: E402

from offerlang.iso import COUNTRIES  # noqa: E402
from offerlang.language import (  # noqa: E402
    ACCOUNT_ID,
    EDS_FEE_BASE,
    LOCALE,
    PAYMENT_METHOD_NAME,
    PRODUCT_PATH,
    V2_CURRENCIES,
    V2_EXTERNAL_ID,
    V2_INTERVAL_UNITS,
    V2_LOCALE_LENGTH,
    V2_MAX_LENGTHS,
    V2_QUANTITY_BEHAVIORS,
    WEB_ADDRESS,
)

SCHEMA_PATH = ROOT / "offerlang" / "schemas" / "sessions-v2.request.schema.json"


def build() -> dict:
    def text(limit: str | None = None) -> dict:
        out: dict = {"type": "string", "minLength": 1}
        if limit is not None:
            out["maxLength"] = V2_MAX_LENGTHS[limit]
        return out

    methods = {
        "type": "array",
        "minItems": 1,
        "uniqueItems": True,
        "items": {"type": "string", "pattern": anchored(PAYMENT_METHOD_NAME)},
    }
    per_language = {
        "type": "object",
        "minProperties": 1,
        "propertyNames": {"$ref": "#/$defs/locale"},
        "additionalProperties": {
            "type": "string",
            "minLength": 1,
            "maxLength": V2_MAX_LENGTHS["description"],
        },
    }
    discount = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            # The contract's default is 1; offerlang always writes it (import reads it left out).
            "minQuantity": {"type": "integer", "minimum": 1, "default": 1},
            "percentDiscount": {"type": "integer", "minimum": 1, "maximum": 100},
            "amountDiscount": {"$ref": "#/$defs/money"},
        },
        "oneOf": [{"required": ["percentDiscount"]}, {"required": ["amountDiscount"]}],
    }
    custom_price = {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {
            "unitPrice": {"$ref": "#/$defs/money"},
            "discounts": {"type": "array", "minItems": 1, "items": discount},
            "discountDuration": {"type": "integer", "minimum": 1},
            "setupFee": {"$ref": "#/$defs/money"},
            "edsFee": {
                "description": f"must exceed the EDS base price of {EDS_FEE_BASE}",
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"$ref": "#/$defs/currency"},
                "additionalProperties": {"type": "number", "exclusiveMinimum": float(EDS_FEE_BASE)},
            },
            "shippingFee": {"$ref": "#/$defs/money"},
        },
        "dependentRequired": {"discountDuration": ["discounts"]},
    }
    on_demand = V2_INTERVAL_UNITS["adhoc"]
    billing = {
        "type": "object",
        "additionalProperties": False,
        "required": ["intervalUnit"],
        "properties": {
            "intervalUnit": {"enum": list(V2_INTERVAL_UNITS.values())},
            "intervalLength": {"type": "integer", "minimum": 1},
            "intervalCount": {"type": "integer", "minimum": 1},
        },
        "if": {"properties": {"intervalUnit": {"const": on_demand}}},
        "then": {"not": {"anyOf": [{"required": ["intervalLength"]}, {"required": ["intervalCount"]}]}},
        "else": {"required": ["intervalLength"]},
    }
    line_item = {
        "type": "object",
        "additionalProperties": False,
        "required": ["productPath"],
        "properties": {
            "productPath": {
                "type": "string",
                "pattern": anchored(PRODUCT_PATH),
                "maxLength": V2_MAX_LENGTHS["product"],
                "description": "catalog product path",
            },
            "quantity": {"type": "integer", "minimum": 1},
            "quantityBehavior": {"enum": list(V2_QUANTITY_BEHAVIORS.values())},
            "quantityDefault": {"type": "integer", "minimum": 1},
            "customPrice": custom_price,
            "subscriptionOverrides": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": False,
                "properties": {
                    "billingFrequency": billing,
                    "trialDays": {"type": "integer", "minimum": 0},
                },
            },
            "descriptions": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": False,
                "properties": {
                    "display": per_language,
                    "summary": per_language,
                    "instructions": per_language,
                    "imageUrl": {"type": "string", "pattern": anchored(WEB_ADDRESS)},
                },
            },
            "attributes": strings(),
        },
    }
    customer = {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {
            "accountId": {
                "type": "string",
                "pattern": anchored(ACCOUNT_ID),
                "maxLength": V2_MAX_LENGTHS["account"],
            },
            "externalAccountId": {"type": "string", "pattern": anchored(V2_EXTERNAL_ID)},
            "billToContact": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": False,
                "properties": {
                    "email": text("email"),
                    "firstName": text("first"),
                    "lastName": text("last"),
                    "company": text("company"),
                    "phoneNumber": text("phone"),
                },
            },
            "accountTags": strings(),
        },
    }
    return request_schema(
        SCHEMA_PATH,
        "FastSpring Sessions v2 request body (POST /v2/checkouts/{store}/{checkout}/sessions)",
        "The request body offerlang emits for the current Sessions API, with the house "
        "decisions of SESSIONS-V2.md: what its schema says where FastSpring's examples disagree "
        "(upper-case enums, `country` at the top), no fields beyond the contract, no empty "
        "objects. Generated by scripts/make_v2_schema.py.",
        required=["cart"],
        properties={
            "customer": customer,
            "country": {"$ref": "#/$defs/country"},
            "locale": {"$ref": "#/$defs/locale"},
            "orderTags": strings(),
            "paymentMethodsOrder": methods,
            "hidePaymentMethods": methods,
            "cart": {
                "type": "object",
                "additionalProperties": False,
                "required": ["lineItems"],
                "properties": {
                    "couponCode": text("coupon"),
                    "lineItems": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/lineItem"}},
                },
            },
        },
        defs={
            "lineItem": line_item,
            "money": money(
                "Amounts per ISO 4217 currency, among the 36 Sessions v2 takes. At most 2 "
                "decimals (0 for zero-decimal currencies): offerlang checks that with exact decimals."
            ),
            "currency": {"enum": sorted(V2_CURRENCIES)},
            "country": {"enum": sorted(COUNTRIES)},
            "locale": {"type": "string", "pattern": anchored(LOCALE), "maxLength": V2_LOCALE_LENGTH},
        },
    )


def render() -> str:
    return written(build())


if __name__ == "__main__":
    write(SCHEMA_PATH, render())
