"""Consumer H5 routes, mounted at /m/<slug:merchant_slug>/ by weloop/urls.py."""

from django.urls import path

from weloop.storefront import (
    booking_views,
    campaign_views,
    card_views,
    coupon_views,
    deal_views,
    event_views,
    flash_views,
    member_views,
    notification_views,
    presale_views,
    product_views,
    referral_views,
    review_views,
    service_views,
    shop_views,
    views,
)

app_name = "storefront"

urlpatterns = [
    path("", views.home, name="home"),
    path("stores/", views.store_list, name="store_list"),
    path("stores/<str:store_id>/", views.store_detail, name="store_detail"),
    # nearby stores (browser or WeChat location) and verified reviews
    path("nearby/", review_views.nearby, name="nearby"),
    path("reviews/", review_views.my_reviews, name="my_reviews"),
    path("reviews/write/<str:eligibility_id>/", review_views.review_write, name="review_write"),
    # the member: WeChat sign-in, "Me", the JS-SDK config for pages that locate or scan
    path("oauth/start", member_views.oauth_start, name="oauth_start"),
    path("oauth/callback", member_views.oauth_callback, name="oauth_callback"),
    path("me/", member_views.me, name="me"),
    path("me/card/", card_views.member_card, name="member_card"),
    path("me/card/signin", card_views.member_signin, name="member_signin"),
    path("me/notifications/", notification_views.my_notifications, name="my_notifications"),
    path("me/marketing/", campaign_views.my_marketing, name="my_marketing"),
    path("c/<str:token>", campaign_views.campaign_link, name="campaign_link"),
    path("me/invite/", referral_views.invite, name="referral_invite"),
    path("me/referrals/", referral_views.my_referrals, name="my_referrals"),
    path("jssdk-config", member_views.jssdk_config, name="jssdk_config"),
    # service requests: the member's tickets and their updates
    path("requests/", service_views.my_requests, name="my_requests"),
    path("requests/<str:ticket_id>/", service_views.my_request, name="my_request"),
    # products: the catalog on sale, by category; a product's options, prices and stock per store
    path("products/", product_views.product_list, name="product_list"),
    path("products/<str:product_id>/", product_views.product_detail, name="product_detail"),
    # the shop: cart, checkout (delivery, pickup, or in store from a table QR), paying, my orders
    path("cart/", shop_views.cart, name="cart"),
    path("cart/add", shop_views.cart_add, name="cart_add"),
    path("cart/update", shop_views.cart_update, name="cart_update"),
    path("checkout", shop_views.checkout, name="checkout"),
    path("orders/", shop_views.order_list, name="order_list"),
    path("orders/<str:order_no>/", shop_views.order_detail, name="order_detail"),
    path("orders/<str:order_no>/status", shop_views.order_status, name="order_status"),
    path("orders/<str:order_no>/pay", shop_views.order_pay, name="order_pay"),
    path("orders/<str:order_no>/cancel", shop_views.order_cancel, name="order_cancel"),
    path("orders/<str:order_no>/aftersales", shop_views.order_aftersales, name="order_aftersales"),
    # bookings (预约): services and their slots, my bookings (cancel, reschedule); reserve goods to pay in store
    path("bookings/services/", booking_views.service_list, name="booking_services"),
    path("bookings/services/<str:service_id>/", booking_views.service_detail, name="booking_service"),
    path("bookings/services/<str:service_id>/book", booking_views.service_book, name="booking_book"),
    path("bookings/", booking_views.my_bookings, name="my_bookings"),
    path("bookings/<str:booking_id>/", booking_views.booking_detail, name="booking_detail"),
    path("bookings/<str:booking_id>/cancel", booking_views.booking_cancel, name="booking_cancel"),
    path("bookings/<str:booking_id>/reschedule", booking_views.booking_reschedule, name="booking_reschedule"),
    path("products/<str:product_id>/reserve", booking_views.reserve, name="reserve"),
    path("reservations/<str:reservation_id>/", booking_views.reservation_detail, name="reservation_detail"),
    path("reservations/<str:reservation_id>/cancel", booking_views.reservation_cancel, name="reservation_cancel"),
    # deals (团购) and the member's vouchers
    path("deals/", deal_views.deal_list, name="deal_list"),
    path("deals/<str:deal_id>/", deal_views.deal_detail, name="deal_detail"),
    path("deals/<str:deal_id>/buy", deal_views.deal_buy, name="deal_buy"),
    path("vouchers/", deal_views.my_vouchers, name="my_vouchers"),
    path("vouchers/<str:voucher_id>/", deal_views.voucher_detail, name="voucher_detail"),
    path("vouchers/<str:voucher_id>/refund", deal_views.voucher_refund, name="voucher_refund"),
    # the card pack (卡包): coupons, a coupon's QR for the counter, claim links
    path("coupons/", coupon_views.my_coupons, name="my_coupons"),
    path("coupons/claim/<str:claim_token>/", coupon_views.coupon_claim, name="coupon_claim"),
    path("coupons/<str:coupon_id>/", coupon_views.coupon_detail, name="coupon_detail"),
    # events (活动): list, an event (sign up, cancel), my events with the check-in QR, the venue link
    path("events/", event_views.event_list, name="events"),
    path("events/mine/", event_views.my_events, name="my_events"),
    path("events/<str:event_id>/", event_views.event_page, name="event"),
    path("events/<str:event_id>/signup", event_views.event_signup, name="event_signup"),
    path("events/<str:event_id>/cancel", event_views.event_cancel, name="event_cancel"),
    path(
        "events/<str:event_id>/checkin/<str:checkin_key>/",
        event_views.event_venue_checkin,
        name="event_venue_checkin",
    ),
    # surveys (问卷): answer once
    path("surveys/<str:survey_id>/", event_views.survey_page, name="survey"),
    path("surveys/<str:survey_id>/answer", event_views.survey_answer, name="survey_answer"),
    # presales (预售): open presales, a presale (progress, countdown, join), my presales, the balance
    path("presales/", presale_views.presale_list, name="presales"),
    path("presales/mine/", presale_views.my_presales, name="my_presales"),
    path("presales/balance/<str:entry_id>/pay", presale_views.presale_balance_pay, name="presale_balance_pay"),
    path("presales/<str:presale_id>/", presale_views.presale_page, name="presale"),
    path("presales/<str:presale_id>/join", presale_views.presale_join, name="presale_join"),
    # flash sales: the countdown page, and the claim (signed-in members)
    path("flash/<str:sale_id>/", flash_views.flash_sale_page, name="flash_sale"),
    path("flash/<str:sale_id>/claim", flash_views.flash_sale_claim, name="flash_sale_claim"),
]
