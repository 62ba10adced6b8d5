"""`offer import` of a Sessions v2 body: recognised by its shape, written as an offer that
compiles back (for v2) to exactly that body."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from offerlang import compile_source
from offerlang.authoring.formatter import format_source
from offerlang.authoring.importer import import_payload
from offerlang.compiler.schema import schema_errors
from offerlang.jsonout import dumps, loads

from .conftest import run
from .strategies import v2_payloads

ACCOUNT = "abCdE1FGH2Hij3KLMnOpqR"


def _round_trip(body_text: str) -> str:
    source, diags = import_payload(body_text, "body.json")
    assert diags == [] and source is not None, diags
    result = compile_source(source, target="v2")
    assert result.ok, result.diagnostics
    assert result.payload == loads(body_text)
    assert format_source(source)[0] == source, "import writes formatted source"
    return source


@given(v2_payloads())
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_every_generated_v2_body_round_trips(body):
    assert schema_errors(body, "v2") == []
    _round_trip(dumps(body))


def test_every_v2_statement_is_imported():
    body = {
        "customer": {
            "accountId": ACCOUNT,
            "externalAccountId": "crm-10042",
            "accountTags": {"tier": "gold"},
        },
        "locale": "pt-BR",
        "orderTags": {"campaign": "spring"},
        "paymentMethodsOrder": ["PAYPAL", "CARD"],
        "hidePaymentMethods": ["WIRE"],
        "cart": {
            "couponCode": "SPRING10",
            "lineItems": [
                {
                    "productPath": "prime-sub",
                    "quantity": 2,
                    "quantityBehavior": "LOCK",
                    "customPrice": {
                        "unitPrice": {"USD": "9.99"},
                        "discounts": [{"minQuantity": 1, "percentDiscount": 50}],
                        "discountDuration": 2,
                        "setupFee": {"USD": "10.00"},
                        "edsFee": {"USD": "2.50"},
                        "shippingFee": {"USD": "4.99"},
                    },
                    "subscriptionOverrides": {
                        "billingFrequency": {
                            "intervalUnit": "MONTH",
                            "intervalLength": 1,
                            "intervalCount": 12,
                        },
                        "trialDays": 14,
                    },
                    "descriptions": {
                        "display": {"en": "Prime", "pt-BR": "Prime"},
                        "summary": {"en": "Everything in Prime"},
                        "imageUrl": "https://cdn.example.com/prime.png",
                    },
                    "attributes": {"segment": "education"},
                }
            ],
        },
    }
    text = dumps(body).replace('"9.99"', "9.99").replace('"10.00"', "10.00").replace('"2.50"', "2.50")
    text = text.replace('"4.99"', "4.99")
    assert _round_trip(text) == (
        f"account {ACCOUNT}\n"
        "locale pt-BR\n"
        "lookup crm-10042\n"
        "buyer tag tier gold\n"
        "tag campaign spring\n"
        "payment methods PAYPAL, CARD\n"
        "hide payment methods WIRE\n"
        "coupon SPRING10\n"
        "\n"
        "item prime-sub {\n"
        "  quantity 2\n"
        "  quantity lock\n"
        "  price USD 9.99\n"
        "  discount 50% for 2 periods\n"
        "  setup fee {\n"
        "    price USD 10.00\n"
        "  }\n"
        "  eds fee USD 2.50\n"
        "  shipping fee USD 4.99\n"
        "  billed every 1 month for 12 periods\n"
        "  trial 14 days\n"
        "  display en Prime\n"
        "  display pt-BR Prime\n"
        '  summary en "Everything in Prime"\n'
        "  image https://cdn.example.com/prime.png\n"
        "  attribute segment education\n"
        "}\n"
    )


def test_a_plain_language_goes_in_the_contact():
    body = {
        "customer": {"billToContact": {"email": "jane@example.com", "firstName": "Jane", "lastName": "Doe"}},
        "country": "DE",
        "locale": "de",
        "cart": {"lineItems": [{"productPath": "falcon"}]},
    }
    source = _round_trip(dumps(body))
    assert "  country DE\n  language de\n" in source
    assert "locale" not in source


def test_the_examples_forms_are_read_as_the_schemas_with_a_warning():
    body = {
        "customer": {"accountId": ACCOUNT},
        "paymentMethodsOrder": ["paypal"],
        "cart": {"lineItems": [{"productPath": "falcon", "quantityBehavior": "lock"}]},
    }
    source, diags = import_payload(dumps(body), "body.json")
    assert source is not None
    assert "payment methods PAYPAL" in source and "quantity lock" in source
    assert [(d.code, d.message.split(" is written")[0]) for d in diags] == [
        ("W520", "`/paymentMethodsOrder/0`"),
        ("W520", "`/cart/lineItems/0/quantityBehavior`"),
    ]


def test_an_ambiguous_example_form_is_refused():
    body = {
        "customer": {"accountId": ACCOUNT},
        "cart": {"lineItems": [{"productPath": "falcon", "quantityDefault": True}]},
    }
    source, diags = import_payload(dumps(body), "body.json")
    assert source is None
    assert [(d.code, d.message.split(":")[0]) for d in diags] == [
        ("E621", "`/cart/lineItems/0/quantityDefault` cannot be written as an offer")
    ]


def test_what_the_v2_schema_refuses_is_named_by_field(capsys, tmp_path):
    body = {
        "customer": {"accountId": ACCOUNT, "returnUrl": "x"},
        "cart": {
            "lineItems": [
                {"productPath": "falcon", "customPrice": {"unitPrice": {"EGP": 5}, "edsFee": {"USD": 1}}},
            ]
        },
    }
    path = tmp_path / "body.json"
    path.write_text(dumps(body), "utf-8")
    code, out, err = run(capsys, "import", str(path))
    assert code == 1 and out == ""
    assert "error[E620]" in err
    assert "`/customer/returnUrl`: unknown field `returnUrl` (Sessions v2 has no such field)" in err
    assert "`/cart/lineItems/0/customPrice/unitPrice/EGP`: Sessions v2 takes no prices in EGP" in err
    assert "`/cart/lineItems/0/customPrice/edsFee/USD`: must be more than 1.5" in err


def test_what_an_offer_cannot_say_is_refused():
    body = {
        "customer": {"accountId": ACCOUNT},
        "cart": {
            "lineItems": [
                {
                    "productPath": "falcon",
                    "customPrice": {
                        "discounts": [
                            {"minQuantity": 1, "percentDiscount": 10},
                            {"minQuantity": 5, "amountDiscount": {"USD": 1}},
                        ]
                    },
                }
            ]
        },
    }
    source, diags = import_payload(dumps(body), "body.json")
    assert source is None
    assert [d.code for d in diags] == ["E621"]
    assert "all percent or all amounts" in diags[0].message


def test_v2_fields_offerlang_does_not_support_yet_are_named_as_such(capsys, tmp_path):
    body = {
        "taxId": "DE123456789",
        "buyerIp": "203.0.113.7",
        "live": False,
        "cart": {"lineItems": [{"productPath": "falcon", "colour": "red"}]},
    }
    source, diags = import_payload(dumps(body), "body.json")
    assert source is None
    assert [(d.code, d.message) for d in diags] == [
        (
            "E621",
            f"`/{name}` cannot be written as an offer: `{name}` is a Sessions v2 field offerlang does not "
            "support yet",
        )
        for name in ("taxId", "buyerIp", "live")
    ] + [
        # Every other problem in the same run.
        (
            "E620",
            "the payload breaks the Sessions v2 schema at `/cart/lineItems/0/colour`: unknown field `colour` "
            "(Sessions v2 has no such field)",
        )
    ]
    assert all("has no such field" not in d.message for d in diags[:3])


def test_a_discount_without_a_minimum_quantity_starts_at_1():
    body = {
        "cart": {
            "lineItems": [
                {
                    "productPath": "falcon",
                    "customPrice": {"unitPrice": {"USD": 10}, "discounts": [{"percentDiscount": 10}]},
                }
            ]
        }
    }
    assert schema_errors(body, "v2") == []  # the contract's default: 1
    source, diags = import_payload(dumps(body), "body.json")
    assert source == "item falcon {\n  price USD 10.00\n  discount 10%\n}\n"
    assert [(d.code, d.message) for d in diags] == [
        (
            "W521",
            "`/cart/lineItems/0/customPrice/discounts/0` has no `minQuantity`: read as 1, the contract's "
            "default",
        )
    ]
    discounts = compile_source(source, target="v2").payload["cart"]["lineItems"][0]["customPrice"][
        "discounts"
    ]
    assert discounts == [{"minQuantity": 1, "percentDiscount": 10}]


def test_overlapping_tiers_are_named_in_words():
    line = {
        "productPath": "falcon",
        "customPrice": {
            "unitPrice": {"USD": 10},
            "discounts": [
                {"minQuantity": 1, "percentDiscount": 5},
                {"minQuantity": 2, "percentDiscount": 10},
                {"minQuantity": 2, "percentDiscount": 20},
            ],
        },
    }
    source, diags = import_payload(dumps({"cart": {"lineItems": [line]}}), "body.json")
    assert source is None
    assert [d.message for d in diags] == [
        "`/cart/lineItems/0/customPrice/discounts/2/minQuantity` cannot be written as an offer: "
        "the 2nd and 3rd discounts both start at quantity 2: the tiers overlap"
    ]


@pytest.mark.parametrize(
    ("body", "code", "pointer"),
    [
        (
            {
                "cart": {
                    "lineItems": [{"productPath": "falcon", "customPrice": {"unitPrice": {"USD": "-0.0"}}}]
                }
            },
            "E621",
            "/cart/lineItems/0/customPrice/unitPrice/USD",
        ),
        (
            {"items": [{"product": "falcon", "pricing": {"price": {"USD": "-0.0"}}}]},
            "E603",
            "/items/0/pricing/price/USD",
        ),
    ],
    ids=["v2", "v1"],
)
def test_a_negative_zero_amount_is_refused_with_its_reason_not_as_a_gap(body, code, pointer):
    text = dumps(body).replace('"-0.0"', "-0.0")  # a JSON number, as a program would write it
    source, diags = import_payload(text, "body.json")
    assert source is None
    assert [(d.code, d.message) for d in diags] == [
        (
            code,
            f"`{pointer}` cannot be written as an offer: `-0.0` is zero with a minus sign, and an amount "
            "cannot be negative",
        )
    ]
    assert "gap in offer import" not in (diags[0].hint or "")


def test_a_lower_case_interval_unit_is_read_as_the_schemas_with_a_warning():
    line = {
        "productPath": "falcon",
        "subscriptionOverrides": {"billingFrequency": {"intervalUnit": "month", "intervalLength": 1}},
    }
    source, diags = import_payload(dumps({"cart": {"lineItems": [line]}}), "body.json")
    assert source == "item falcon {\n  billed every 1 month\n}\n"
    assert [(d.code, d.message.split(" is written")[0]) for d in diags] == [
        ("W520", "`/cart/lineItems/0/subscriptionOverrides/billingFrequency/intervalUnit`")
    ]
