"""The catalog's pure rules: option names and values, their text forms, codes, prices, category paths."""

from __future__ import annotations

import pytest

from weloop.catalog.calculations import (
    clean_option_names,
    clean_options,
    clean_prices,
    clean_sku_code,
    clean_weight,
    format_category_path,
    format_options_text,
    options_key,
    parse_category_path,
    parse_options_text,
)
from weloop.catalog.errors import InvalidCategory, InvalidSku, InvalidSkuOptions
from weloop.core.money import InvalidAmount


def test_options_must_name_exactly_the_products_options():
    assert clean_options(["size", "colour"], {"colour": " black ", "size": "38"}) == {"size": "38", "colour": "black"}
    for bad in ({"size": "38"}, {"size": "38", "colour": "black", "fit": "wide"}, {"Size": "38", "colour": "b"}):
        with pytest.raises(InvalidSkuOptions) as excinfo:
            clean_options(["size", "colour"], bad)
        assert excinfo.value.code == "catalog.invalid_options"
    assert clean_options([], {}) == {}


@pytest.mark.parametrize("value", ["", "  ", "a=b", "a;b", "x" * 41, None])
def test_option_values_are_short_plain_text(value):
    with pytest.raises(InvalidSkuOptions):
        clean_options(["size"], {"size": value})


def test_option_names_are_distinct_and_at_most_five():
    assert clean_option_names([" size ", "colour"]) == ["size", "colour"]
    for bad in (["size", "Size"], ["a", "b", "c", "d", "e", "f"], ["si=ze"], "size"):
        with pytest.raises(InvalidSkuOptions):
            clean_option_names(bad)


def test_options_key_ignores_order_and_text_round_trips():
    one = {"size": "38", "colour": "black"}
    other = {"colour": "black", "size": "38"}

    assert options_key(one) == options_key(other) == "colour=black;size=38"
    text = format_options_text(["size", "colour"], one)
    assert text == "size=38;colour=black"
    assert parse_options_text(text) == one
    assert parse_options_text("") == {}


@pytest.mark.parametrize("text", ["size", "size=", "=38", "size=38;size=39", "size=38;;colour=b"])
def test_malformed_option_text_is_refused(text):
    with pytest.raises(InvalidSkuOptions):
        parse_options_text(text)


@pytest.mark.parametrize("code", ["SNK-38-BLK", "a", "A.b_c/d-1", "x" * 64])
def test_sku_codes(code):
    assert clean_sku_code(f" {code} ") == code


@pytest.mark.parametrize("code", ["", "-lead", "has space", "x" * 65, "中文", None])
def test_bad_sku_codes(code):
    with pytest.raises(InvalidSku):
        clean_sku_code(code)


def test_prices_are_int_fen_and_the_list_price_is_not_below_the_price():
    assert clean_prices(1230, None) == (1230, None)
    assert clean_prices(1230, 1500) == (1230, 1500)
    assert clean_prices(0, 0) == (0, 0)
    with pytest.raises(InvalidSku):
        clean_prices(1230, 1000)
    for bad in (12.3, -1, True, "1230", None):
        with pytest.raises(InvalidAmount):
            clean_prices(bad, None)
    with pytest.raises(InvalidAmount):
        clean_prices(100, 150.5)


def test_weights_are_whole_grams():
    assert clean_weight(None) is None
    assert clean_weight(800) == 800
    for bad in (-1, 1.5, True, "800"):
        with pytest.raises(InvalidSku):
            clean_weight(bad)


def test_category_paths():
    assert parse_category_path(" Shoes >  Running ") == ["Shoes", "Running"]
    assert parse_category_path("") == []
    assert format_category_path(["Shoes", "Running"]) == "Shoes > Running"
    for bad in ("Shoes >", "a>b>c>d>e>f", "x" * 61):
        with pytest.raises(InvalidCategory):
            parse_category_path(bad)
