"""The merchant console. Object URLs use public ids in ``<model>_id`` kwargs (tenant-isolation walk)."""

from django.urls import path

from weloop.dashboard.views import api_keys, home, outbox, staff, stores, wechat

app_name = "dashboard"

urlpatterns = [
    path("", home.home, name="home"),
    path("switch-merchant/", home.switch_merchant, name="switch_merchant"),
    # stores
    path("stores/", stores.store_list, name="store_list"),
    path("stores/new/", stores.store_create, name="store_create"),
    path("stores/hours-row/", stores.store_hours_row, name="store_hours_row"),
    path("stores/<str:store_id>/", stores.store_detail, name="store_detail"),
    path("stores/<str:store_id>/edit/", stores.store_edit, name="store_edit"),
    path("stores/<str:store_id>/status/", stores.store_set_status, name="store_set_status"),
    path("stores/<str:store_id>/exceptions/", stores.store_exception_add, name="store_exception_add"),
    path("stores/<str:store_id>/exceptions/remove/", stores.store_exception_remove, name="store_exception_remove"),
    # staff
    path("staff/", staff.staff_list, name="staff_list"),
    path("staff/new/", staff.staff_create, name="staff_create"),
    path("staff/<str:staff_id>/deactivate/", staff.staff_deactivate, name="staff_deactivate"),
    # API keys
    path("api-keys/", api_keys.api_key_list, name="api_key_list"),
    path("api-keys/new/", api_keys.api_key_create, name="api_key_create"),
    path("api-keys/<str:api_key_id>/revoke/", api_keys.api_key_revoke, name="api_key_revoke"),
    # outbox
    path("outbox/", outbox.outbox, name="outbox"),
    path("outbox/deliveries/<int:delivery_id>/", outbox.outbox_delivery, name="outbox_delivery"),
    path("outbox/deliveries/<int:delivery_id>/retry/", outbox.outbox_delivery_retry, name="outbox_delivery_retry"),
    # WeChat account
    path("wechat/", wechat.wechat, name="wechat"),
    path("wechat/secret/", wechat.wechat_secret, name="wechat_secret"),
]
