from weloop.stores.selectors import store_list


def test_store_create_lists_only_for_its_merchant(store, merchant, other_merchant):
    assert list(store_list(merchant=merchant)) == [store]
    assert list(store_list(merchant=other_merchant)) == []
