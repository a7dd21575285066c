"""The merchant console. Object URLs use public ids in ``<model>_id`` kwargs (tenant-isolation walk)."""

from django.urls import path

from weloop.dashboard.views import (
    api_keys,
    bookings,
    catalog,
    deals,
    flash_sales,
    home,
    members,
    notifications,
    orders,
    outbox,
    payments,
    performance,
    qrcodes,
    reviews,
    service_account,
    service_desk,
    staff,
    stores,
    wechat,
)

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
    path("wechat/connect/", wechat.wechat_connect, name="wechat_connect"),
    # members
    path("members/", members.member_list, name="member_list"),
    path("members/<str:member_id>/", members.member_detail, name="member_detail"),
    # QR codes
    path("qr-codes/", qrcodes.qr_code_list, name="qr_code_list"),
    path("qr-codes/new/", qrcodes.qr_code_create, name="qr_code_create"),
    path("qr-codes/<str:qr_code_id>/qr.png", qrcodes.qr_code_png, name="qr_code_png"),
    path("qr-codes/<str:qr_code_id>/qr.svg", qrcodes.qr_code_svg, name="qr_code_svg"),
    # the service account: menu, auto-replies, follow greeting; the message log
    path("service-account/menu/", service_account.service_account_menu, name="service_account_menu"),
    path(
        "service-account/auto-replies/",
        service_account.service_account_auto_replies,
        name="service_account_auto_replies",
    ),
    path(
        "service-account/auto-replies/new/",
        service_account.service_account_auto_reply_create,
        name="service_account_auto_reply_create",
    ),
    path(
        "service-account/auto-replies/<str:auto_reply_rule_id>/edit/",
        service_account.service_account_auto_reply_edit,
        name="service_account_auto_reply_edit",
    ),
    path(
        "service-account/auto-replies/<str:auto_reply_rule_id>/delete/",
        service_account.service_account_auto_reply_delete,
        name="service_account_auto_reply_delete",
    ),
    path("service-account/greeting/", service_account.service_account_greeting, name="service_account_greeting"),
    path("messages/", service_account.message_log, name="message_log"),
    # notifications: the log, the template mapping, the switches
    path("notifications/", notifications.notification_log, name="notification_log"),
    path("notifications/templates/", notifications.notification_templates, name="notification_templates"),
    path(
        "notifications/templates/remove/",
        notifications.notification_template_delete,
        name="notification_template_delete",
    ),
    path("notifications/settings/", notifications.notification_settings, name="notification_settings"),
    path("notifications/<str:notification_id>/", notifications.notification_detail, name="notification_detail"),
    path("notifications/<str:notification_id>/retry/", notifications.notification_retry, name="notification_retry"),
    # the service desk: inbox, conversations, tools, tickets, metrics
    path("service-desk/", service_desk.service_desk_inbox, name="service_desk_inbox"),
    path("service-desk/inbox-rows/", service_desk.service_desk_inbox_rows, name="service_desk_inbox_rows"),
    path("service-desk/availability/", service_desk.service_desk_availability, name="service_desk_availability"),
    path(
        "service-desk/conversations/<str:conversation_id>/",
        service_desk.service_desk_conversation,
        name="service_desk_conversation",
    ),
    path(
        "service-desk/conversations/<str:conversation_id>/thread/",
        service_desk.service_desk_thread,
        name="service_desk_thread",
    ),
    path(
        "service-desk/conversations/<str:conversation_id>/reply/",
        service_desk.service_desk_reply,
        name="service_desk_reply",
    ),
    path(
        "service-desk/conversations/<str:conversation_id>/note/", service_desk.service_desk_note, name="service_desk_note"
    ),
    path(
        "service-desk/conversations/<str:conversation_id>/assign/",
        service_desk.service_desk_assign,
        name="service_desk_assign",
    ),
    path(
        "service-desk/conversations/<str:conversation_id>/close/",
        service_desk.service_desk_close,
        name="service_desk_close",
    ),
    path(
        "service-desk/conversations/<str:conversation_id>/ticket/",
        service_desk.service_desk_ticket_create,
        name="service_desk_ticket_create",
    ),
    path(
        "service-desk/messages/<str:conversation_message_id>/retry/",
        service_desk.service_desk_message_retry,
        name="service_desk_message_retry",
    ),
    path(
        "service-desk/messages/<str:conversation_message_id>/media",
        service_desk.service_desk_message_media,
        name="service_desk_message_media",
    ),
    path("service-desk/canned-replies/", service_desk.service_desk_canned_replies, name="service_desk_canned_replies"),
    path(
        "service-desk/canned-replies/<str:canned_reply_id>/edit/",
        service_desk.service_desk_canned_reply_edit,
        name="service_desk_canned_reply_edit",
    ),
    path(
        "service-desk/canned-replies/<str:canned_reply_id>/delete/",
        service_desk.service_desk_canned_reply_delete,
        name="service_desk_canned_reply_delete",
    ),
    path("service-desk/rules/", service_desk.service_desk_rules, name="service_desk_rules"),
    path(
        "service-desk/rules/<str:assignment_rule_id>/delete/",
        service_desk.service_desk_rule_delete,
        name="service_desk_rule_delete",
    ),
    path("service-desk/tickets/", service_desk.service_desk_tickets, name="service_desk_tickets"),
    path("service-desk/tickets/<str:ticket_id>/", service_desk.service_desk_ticket, name="service_desk_ticket"),
    path("service-desk/metrics/", service_desk.service_desk_metrics, name="service_desk_metrics"),
    # performance: the attribution ledger by store, guide, source and channel
    path("performance/", performance.performance_stores, name="performance_stores"),
    path("performance/guides/", performance.performance_guides, name="performance_guides"),
    path("performance/export.csv", performance.performance_export, name="performance_export"),
    path("performance/stores/<str:store_id>/", performance.performance_store, name="performance_store"),
    # catalog: products, SKUs, store prices, categories, CSV import and export
    path("products/", catalog.product_list, name="product_list"),
    path("products/new/", catalog.product_create, name="product_create"),
    path("products/export.csv", catalog.product_export, name="product_export"),
    path("products/import/", catalog.product_import, name="product_import"),
    path("products/import/<str:import_job_id>/", catalog.product_import_job, name="product_import_job"),
    path(
        "products/import/<str:import_job_id>/progress/",
        catalog.product_import_progress,
        name="product_import_progress",
    ),
    path("products/<str:product_id>/", catalog.product_detail, name="product_detail"),
    path("products/<str:product_id>/edit/", catalog.product_edit, name="product_edit"),
    path("products/<str:product_id>/status/", catalog.product_set_status, name="product_set_status"),
    path("products/<str:product_id>/skus/", catalog.sku_create, name="sku_create"),
    path("skus/<str:sku_id>/edit/", catalog.sku_edit, name="sku_edit"),
    path("skus/<str:sku_id>/store-price/", catalog.sku_store_price, name="sku_store_price"),
    # deals (团购) and the settlement of their redemptions per store
    path("deals/", deals.deal_list, name="deal_list"),
    path("deals/new/", deals.deal_create, name="deal_create"),
    path("deals/settlement/", deals.settlement, name="voucher_settlement"),
    path("deals/<str:deal_id>/", deals.deal_detail, name="deal_detail"),
    path("deals/<str:deal_id>/status/", deals.deal_set_status, name="deal_set_status"),
    # reviews: the list with each store's rating; reply, hide, show, report
    path("reviews/", reviews.review_list, name="review_list"),
    path("reviews/<str:review_id>/", reviews.review_detail, name="review_detail"),
    path("reviews/<str:review_id>/act/", reviews.review_act, name="review_act"),
    # flash sales (限时抢购): live counters, create, cancel
    path("flash-sales/", flash_sales.flash_sale_list, name="flash_sale_list"),
    path("flash-sales/rows/", flash_sales.flash_sale_rows, name="flash_sale_rows"),
    path("flash-sales/new/", flash_sales.flash_sale_create, name="flash_sale_create"),
    path("flash-sales/<str:sale_id>/cancel/", flash_sales.flash_sale_cancel, name="flash_sale_cancel"),
    # bookings (预约): services, resources and schedules, the day, bookings, leads, reservations
    path("bookings/", bookings.booking_list, name="booking_list"),
    path("bookings/day/", bookings.booking_day, name="booking_day"),
    path("bookings/services/", bookings.service_list, name="booking_service_list"),
    path("bookings/services/new/", bookings.service_create, name="booking_service_create"),
    path("bookings/services/<str:service_id>/", bookings.service_edit, name="booking_service_edit"),
    path("bookings/resources/", bookings.resource_list, name="booking_resource_list"),
    path("bookings/resources/new/", bookings.resource_create, name="booking_resource_create"),
    path("bookings/resources/<str:resource_id>/", bookings.resource_detail, name="booking_resource_detail"),
    path(
        "bookings/resources/<str:resource_id>/exception/",
        bookings.resource_exception,
        name="booking_resource_exception",
    ),
    path("bookings/leads/", bookings.lead_list, name="booking_lead_list"),
    path("bookings/leads/<str:lead_id>/", bookings.lead_detail, name="booking_lead_detail"),
    path("bookings/reservations/", bookings.reservation_list, name="booking_reservation_list"),
    path("bookings/<str:booking_id>/", bookings.booking_detail, name="booking_detail"),
    path("bookings/<str:booking_id>/action/", bookings.booking_action, name="booking_action"),
    path("categories/", catalog.category_list, name="category_list"),
    path("categories/<str:category_id>/delete/", catalog.category_delete, name="category_delete"),
    # orders: list, detail and actions, valet orders, after-sales, the shop's rules
    path("orders/", orders.order_list, name="order_list"),
    path("orders/new/", orders.order_valet_create, name="order_valet_create"),
    path("orders/rules/", orders.order_settings, name="order_settings"),
    path("orders/rules/shipping/", orders.order_settings_shipping, name="order_settings_shipping"),
    path("orders/rules/limits/", orders.order_settings_limit, name="order_settings_limit"),
    path("orders/<str:order_no>/", orders.order_detail, name="order_detail"),
    path("orders/<str:order_no>/fulfil/", orders.order_start_fulfilling, name="order_start_fulfilling"),
    path("orders/<str:order_no>/ship/", orders.order_ship, name="order_ship"),
    path(
        "orders/<str:order_no>/shipments/<str:shipment_id>/events/",
        orders.shipment_add_tracking_event,
        name="order_tracking_event",
    ),
    path("orders/<str:order_no>/ready/", orders.order_mark_ready, name="order_mark_ready"),
    path("orders/<str:order_no>/complete/", orders.order_complete, name="order_complete"),
    path("orders/<str:order_no>/cancel/", orders.order_cancel, name="order_cancel"),
    path("orders/<str:order_no>/refund/", orders.order_refund, name="order_refund"),
    path("orders/<str:order_no>/offline-payment/", orders.order_offline_payment, name="order_offline_payment"),
    path("orders/<str:order_no>/wechat-qr/", orders.order_native_pay, name="order_native_pay"),
    path("after-sales/", orders.aftersales_list, name="aftersales_list"),
    path(
        "after-sales/<str:after_sales_request_id>/approve/", orders.aftersales_approve, name="aftersales_approve"
    ),
    path("after-sales/<str:after_sales_request_id>/reject/", orders.aftersales_reject, name="aftersales_reject"),
    # WeChat Pay: settings, ledger, daily reconciliation
    path("payments/settings/", payments.pay_settings, name="pay_settings"),
    path("payments/settings/simulated/", payments.pay_settings_simulated, name="pay_settings_simulated"),
    path("payments/ledger/", payments.payment_ledger, name="payment_ledger"),
    path("payments/reconciliation/", payments.payment_reconciliation, name="payment_reconciliation"),
]
