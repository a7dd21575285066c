from django.urls import path

from weloop.clerk import order_views, views, voucher_views

app_name = "clerk"

urlpatterns = [
    path("", views.home, name="home"),
    path("stores/<str:store_id>/status/", views.store_toggle, name="store_toggle"),
    path("pickup/", order_views.pickup, name="pickup"),
    path("pay/", order_views.pay, name="pay"),
    path("orders/new/", order_views.valet, name="valet"),
    path("vouchers/redeem/", voucher_views.redeem, name="voucher_redeem"),
    path("vouchers/redemptions/<str:redemption_id>/undo/", voucher_views.undo, name="voucher_undo"),
]
