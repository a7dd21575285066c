"""The console's navigation as data: one row per link, shown only to roles that hold its permission.

A link's permission is the same one its view's ``@staff_view`` checks (a test walks both), so a
role never sees a link that would answer 403, nor loses one it may use.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from weloop.tenants.models import StaffMember
from weloop.tenants.permissions import has_permission


@dataclass(frozen=True)
class NavItem:
    key: str  # highlighted on pages whose URL name is ``key`` or starts with ``key_``
    url_name: str
    label: str | Promise
    permission: str


NAV: tuple[NavItem, ...] = (
    NavItem("home", "dashboard:home", _("Overview"), "dashboard.view"),
    NavItem("store", "dashboard:store_list", _("Stores"), "stores.view"),
    NavItem("staff", "dashboard:staff_list", _("Staff"), "staff.manage"),
    NavItem("api_key", "dashboard:api_key_list", _("API keys"), "api_keys.manage"),
    NavItem("outbox", "dashboard:outbox", _("Events and deliveries"), "outbox.view"),
    NavItem("wechat", "dashboard:wechat", _("WeChat account"), "wechat.manage"),
    NavItem("clerk", "clerk:home", _("Clerk page"), "clerk.use"),
    # the WeChat channel
    NavItem("member", "dashboard:member_list", _("Members"), "members.view"),
    NavItem("qr_code", "dashboard:qr_code_list", _("QR codes"), "qrcodes.manage"),
    NavItem("service_account", "dashboard:service_account_menu", _("Service account"), "service_account.manage"),
    NavItem("message_log", "dashboard:message_log", _("Message log"), "messages.view"),
    NavItem("notification", "dashboard:notification_log", _("Notifications"), "notifications.view"),
    NavItem("service_desk", "dashboard:service_desk_inbox", _("Service desk"), "service_desk.use"),
    # the catalog
    NavItem("product", "dashboard:product_list", _("Products"), "catalog.view"),
    NavItem("category", "dashboard:category_list", _("Categories"), "catalog.manage"),
    NavItem("deal", "dashboard:deal_list", _("Deals"), "deals.manage"),
    NavItem("coupon", "dashboard:coupon_template_list", _("Coupons"), "coupons.manage"),
    NavItem("loyalty", "dashboard:loyalty_settings", _("Points and levels"), "loyalty.manage"),
    NavItem("review", "dashboard:review_list", _("Reviews"), "reviews.manage"),
    NavItem("booking", "dashboard:booking_day", _("Bookings"), "bookings.view"),
    NavItem("flash_sale", "dashboard:flash_sale_list", _("Flash sales"), "flashsales.manage"),
    NavItem("presale", "dashboard:presale_list", _("Presales"), "presales.manage"),
    NavItem("event", "dashboard:event_list", _("Events"), "engagement.manage"),
    NavItem("survey", "dashboard:survey_list", _("Surveys"), "engagement.manage"),
    NavItem("voucher_settlement", "dashboard:voucher_settlement", _("Deal settlement"), "vouchers.settlement"),
    # orders and payments
    NavItem("order", "dashboard:order_list", _("Orders"), "orders.view"),
    NavItem("aftersales", "dashboard:aftersales_list", _("After-sales"), "orders.view"),
    NavItem("order_settings", "dashboard:order_settings", _("Delivery fee and limits"), "orders.settings"),
    NavItem("pay", "dashboard:pay_settings", _("WeChat Pay"), "payments.manage"),
    NavItem("payment", "dashboard:payment_ledger", _("Payment ledger"), "payments.manage"),
    NavItem("performance", "dashboard:performance_stores", _("Performance"), "analytics.view"),
    # members marketing
    NavItem("referral", "dashboard:referral_referrers", _("Referrals"), "referrals.manage"),
    NavItem("campaign", "dashboard:campaign_list", _("Campaigns"), "campaigns.manage"),
    NavItem("segment", "dashboard:segment_list", _("Segments"), "segments.manage"),
    NavItem("tag", "dashboard:tag_list", _("Tags"), "tags.manage"),
)


@dataclass(frozen=True)
class NavLink:
    key: str
    url: str
    label: str | Promise
    current: bool


def nav_for(staff: StaffMember, *, current_url_name: str = "") -> list[NavLink]:
    """The links ``staff`` may follow, the one for the current page marked."""
    return [
        NavLink(
            key=item.key,
            url=reverse(item.url_name),
            label=item.label,
            current=current_url_name == item.key or current_url_name.startswith(item.key + "_"),
        )
        for item in NAV
        if has_permission(staff, item.permission)
    ]
