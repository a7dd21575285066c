"""Catalog reads: filters of the product list, details with prices at a store, the category tree."""

from __future__ import annotations

import pytest

from weloop.catalog.selectors import (
    category_paths,
    category_tree,
    product_detail,
    product_list,
    sku_get_by_code,
    sku_offer_at,
    sku_price_at,
)
from weloop.catalog.services import (
    ProductInput,
    SkuInput,
    SkuPatch,
    category_create,
    product_create,
    product_set_status,
    sku_create,
    sku_update,
    store_price_set,
)
from weloop.core.errors import NotFound

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(merchant, shoes, sneaker, make_sku):
    running = category_create(merchant=merchant, name="Running", parent_id=shoes.public_id)
    racer = product_create(
        merchant=merchant,
        data=ProductInput(name="Racer", category_id=running.public_id, description="Light and fast"),
        actor="t",
    )
    card = product_create(merchant=merchant, data=ProductInput(name="Gift card", kind="virtual"), actor="t")
    make_sku(sneaker, "SNK-38", size="38", colour="black")
    make_sku(sneaker, "SNK-39", 20900, size="39", colour="black")
    make_sku(racer, "RACER-1", 59900)
    make_sku(card, "CARD-50", 5000)
    product_set_status(merchant=merchant, product_id=sneaker.public_id, status="active", actor="t")
    return {"sneaker": sneaker, "racer": racer, "card": card, "running": running, "shoes": shoes}


def names(products):
    return [p.name for p in products]


def test_product_list_filters(merchant, catalog):
    assert names(product_list(merchant=merchant)) == ["Canvas sneaker", "Gift card", "Racer"]
    assert names(product_list(merchant=merchant, status="active")) == ["Canvas sneaker"]
    assert names(product_list(merchant=merchant, kind="virtual")) == ["Gift card"]
    assert names(product_list(merchant=merchant, q="fast")) == ["Racer"]  # the description
    assert names(product_list(merchant=merchant, q="snk-39")) == ["Canvas sneaker"]  # a SKU code
    shoes_id, running_id = catalog["shoes"].public_id, catalog["running"].public_id
    assert names(product_list(merchant=merchant, category_id=shoes_id)) == ["Canvas sneaker", "Racer"]
    assert names(product_list(merchant=merchant, category_id=shoes_id, include_subcategories=False)) == [
        "Canvas sneaker"
    ]
    assert names(product_list(merchant=merchant, category_id=running_id)) == ["Racer"]


def test_product_list_at_a_store_hides_what_the_store_does_not_sell(merchant, catalog, store):
    racer_sku = sku_get_by_code(merchant=merchant, code="RACER-1")
    store_price_set(
        merchant=merchant, sku_id=racer_sku.public_id, store=store, price_fen=None, is_available=False, actor="t"
    )
    store_price_set(
        merchant=merchant,
        sku_id=sku_get_by_code(merchant=merchant, code="SNK-38").public_id,
        store=store,
        price_fen=None,
        is_available=False,
        actor="t",
    )
    card_sku = sku_get_by_code(merchant=merchant, code="CARD-50")
    sku_update(merchant=merchant, sku_id=card_sku.public_id, patch=SkuPatch(is_active=False), actor="t")

    # the sneaker still sells its 39 there; the racer's only SKU is withdrawn; the card is inactive
    assert names(product_list(merchant=merchant, store=store)) == ["Canvas sneaker"]
    assert names(product_list(merchant=merchant)) == ["Canvas sneaker", "Gift card", "Racer"]


def test_another_merchant_sees_none_of_it(other_merchant, catalog):
    assert names(product_list(merchant=other_merchant)) == []
    with pytest.raises(NotFound):
        product_detail(merchant=other_merchant, product_id=catalog["sneaker"].public_id)
    with pytest.raises(NotFound):
        product_list(merchant=other_merchant, category_id=catalog["shoes"].public_id)
    with pytest.raises(NotFound):
        sku_get_by_code(merchant=other_merchant, code="SNK-38")


def test_product_detail_gives_each_skus_price_at_the_store(merchant, catalog, store):
    snk38 = sku_get_by_code(merchant=merchant, code="SNK-38")
    store_price_set(merchant=merchant, sku_id=snk38.public_id, store=store, price_fen=17900, actor="t")

    online = product_detail(merchant=merchant, product_id=catalog["sneaker"].public_id)
    at_store = product_detail(merchant=merchant, product_id=catalog["sneaker"].public_id, store=store)

    assert online.category_path == "Shoes"
    assert [(o.sku.code, o.price_fen, o.is_store_price) for o in online.offers] == [
        ("SNK-38", 19900, False),
        ("SNK-39", 20900, False),
    ]
    assert [(o.sku.code, o.price_fen, o.base_price_fen, o.is_store_price) for o in at_store.offers] == [
        ("SNK-38", 17900, 19900, True),
        ("SNK-39", 20900, 20900, False),
    ]
    assert at_store.price_range_fen == (17900, 20900)
    assert all(o.is_sellable for o in at_store.offers)


def test_sku_price_and_offer_at_a_store(merchant, catalog, store, make_store):
    snk39 = sku_get_by_code(merchant=merchant, code="SNK-39")
    other_store = make_store(merchant, name="Nanshan")
    store_price_set(merchant=merchant, sku_id=snk39.public_id, store=store, price_fen=0, actor="t")
    store_price_set(
        merchant=merchant, sku_id=snk39.public_id, store=other_store, price_fen=None, is_available=False, actor="t"
    )
    racer = sku_get_by_code(merchant=merchant, code="RACER-1")

    assert sku_price_at(snk39) == 20900
    assert sku_price_at(snk39, store) == 0  # a free item is a price too
    assert sku_price_at(snk39, other_store) == 20900
    offer = sku_offer_at(sku=snk39, store=other_store)
    assert (offer.is_available, offer.is_sellable) == (False, False)
    draft = sku_offer_at(sku=racer)
    assert (draft.is_available, draft.is_sellable) == (True, False)  # its product is still a draft


def test_category_tree_and_paths(merchant, catalog):
    tree = category_tree(merchant=merchant)

    assert [(n.category.name, n.depth, n.path) for n in tree] == [("Shoes", 0, "Shoes")]
    assert [(n.category.name, n.depth, n.path) for n in tree[0].children] == [("Running", 1, "Shoes > Running")]
    assert category_paths(merchant=merchant)[catalog["running"].pk] == "Shoes > Running"


def test_a_product_without_options_offers_one_sku(merchant):
    cake = product_create(merchant=merchant, data=ProductInput(name="Cake"), actor="t")
    sku_create(merchant=merchant, product_id=cake.public_id, data=SkuInput(code="CAKE", price_fen=8800), actor="t")

    detail = product_detail(merchant=merchant, product_id=cake.public_id)

    assert [(o.sku.options, o.price_fen) for o in detail.offers] == [({}, 8800)]
    assert detail.images == []
