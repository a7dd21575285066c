from django.urls import path

from weloop.clerk import booking_views, card_views, coupon_views, event_views, order_views, views, voucher_views

app_name = "clerk"

urlpatterns = [
    path("", views.home, name="home"),
    path("stores/<str:store_id>/status/", views.store_toggle, name="store_toggle"),
    path("pickup/", order_views.pickup, name="pickup"),
    path("pay/", order_views.pay, name="pay"),
    path("orders/new/", order_views.valet, name="valet"),
    path("vouchers/redeem/", voucher_views.redeem, name="voucher_redeem"),
    path("vouchers/redemptions/<str:redemption_id>/undo/", voucher_views.undo, name="voucher_undo"),
    path("coupons/", coupon_views.counter, name="coupons"),
    path("events/checkin/", event_views.checkin, name="event_checkin"),
    path("card/", card_views.member_card, name="member_card"),
    path("bookings/", booking_views.bookings, name="bookings"),
    path("bookings/<str:booking_id>/action/", booking_views.booking_action, name="booking_action"),
    path("reservations/", booking_views.reservations, name="reservations"),
    path("reservations/<str:reservation_id>/", booking_views.reservation, name="reservation"),
    path("reservations/<str:reservation_id>/pay/", booking_views.reservation_pay, name="reservation_pay"),
    path("reservations/<str:reservation_id>/wechat-qr/", booking_views.reservation_native, name="reservation_native"),
    path(
        "reservations/<str:reservation_id>/hand-over/",
        booking_views.reservation_hand_over,
        name="reservation_hand_over",
    ),
]
