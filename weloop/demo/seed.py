"""Seed the demo merchant: "麦田烘焙 Wheatfield Bakery", a bakery-café chain in Shenzhen.

Later capabilities add their own steps to ``STEPS`` (products, members, deals…), so one
``weloop demo`` always shows every feature. The demo logins share one documented password.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from weloop.core import clock
from weloop.members import services as members
from weloop.members.enums import QrCodeKind, TouchKind
from weloop.messaging.services import ReplyInput, RuleInput, greeting_set, menu_save, rule_create
from weloop.payments.services import pay_settings_create_simulated
from weloop.simulator.accounts import SimAccount, account_for_appid
from weloop.simulator.qrcodes import qr_create
from weloop.stores.models import Store
from weloop.stores.services import HoursInput, StoreInput, store_assign_staff, store_create, store_set_exception
from weloop.tenants.enums import MerchantStatus, StaffRole
from weloop.tenants.models import ApiKey, Merchant, StaffMember
from weloop.tenants.selectors import wechat_account_of
from weloop.tenants.services import hash_api_key, merchant_create, staff_create
from weloop.wechat.client import QrCode as IssuedQrCode
from weloop.wechat.limits import qrcode_action

DEMO_SLUG = "wheatfield"
DEMO_PENDING_SLUG = "blossom-salon"
DEMO_PASSWORD = "weloop-demo-2026"
# A fixed key so the printed API example works after every restart. Demo only: real keys are random.
DEMO_API_KEY = "wlk_demo_wheatfield_do_not_use_in_production_0001"
DEMO_OPERATOR = "demo-operator"

# (name, address, district, latitude, longitude, phone): GCJ-02, as WeChat and Amap report them.
SHENZHEN_STORES = [
    (
        "福田 COCO Park 店",
        "福华三路 268 号星河 COCO Park 一楼 L1-08",
        "福田区",
        "22.533166",
        "114.055779",
        "0755-8299 0101",
    ),
    ("南山 海岸城店", "文心五路 33 号海岸城购物中心 B1-21", "南山区", "22.517045", "113.935922", "0755-8299 0102"),
    ("罗湖 万象城店", "宝安南路 1881 号华润万象城 L2-215", "罗湖区", "22.539321", "114.110888", "0755-8299 0103"),
    ("宝安 壹方城店", "新湖路 99 号壹方城 L1-032", "宝安区", "22.555712", "113.883063", "0755-8299 0104"),
    ("科技园 深圳湾店", "科苑南路 2666 号中国华润大厦 G 层", "南山区", "22.517923", "113.944718", "0755-8299 0105"),
]

STAFF = [
    ("demo-owner", StaffRole.OWNER, "王店长 (owner)", []),
    ("demo-admin", StaffRole.ADMIN, "李运营 (admin)", []),
    ("demo-manager", StaffRole.STORE_MANAGER, "陈经理 (福田店长)", [0]),
    ("demo-clerk", StaffRole.CLERK, "张导购 (福田导购)", [0]),
    ("demo-agent", StaffRole.SERVICE_AGENT, "刘客服 (service desk)", []),
]


@dataclass
class DemoContext:
    merchant: Merchant
    stores: list[Store] = field(default_factory=list)


def _weekly_hours(late_weekend: bool) -> list[HoursInput]:
    hours = [HoursInput(weekday, "07:30", "22:00") for weekday in range(5)]
    if late_weekend:  # Friday and Saturday nights run past midnight
        hours[4] = HoursInput(4, "07:30", "01:00")
        hours.append(HoursInput(5, "08:00", "01:00"))
    else:
        hours.append(HoursInput(5, "08:00", "22:30"))
    hours.append(HoursInput(6, "08:00", "22:30"))
    return hours


def seed_stores(ctx: DemoContext) -> None:
    for i, (name, address, district, lat, lng, phone) in enumerate(SHENZHEN_STORES):
        data = StoreInput(
            name=name,
            address=address,
            city="深圳",
            district=district,
            latitude=lat,
            longitude=lng,
            phone=phone,
            hours=_weekly_hours(late_weekend=i == 0),
        )
        ctx.stores.append(store_create(merchant=ctx.merchant, data=data, actor="demo"))
    in_ten_days = timezone.localdate(clock.now()) + timedelta(days=10)
    store_set_exception(
        merchant=ctx.merchant,
        public_id=ctx.stores[2].public_id,
        day=in_ten_days,
        is_closed=True,
        note="店内装修 / closed for refit",
    )


def seed_staff(ctx: DemoContext) -> None:
    for username, role, display_name, store_indexes in STAFF:
        if role == StaffRole.OWNER:
            staff = StaffMember.objects.for_merchant(ctx.merchant).get(user__username=username)
        else:
            staff = staff_create(
                merchant=ctx.merchant,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                display_name=display_name,
                check_password_strength=False,
            )
        if store_indexes:
            store_assign_staff(
                merchant=ctx.merchant, staff=staff, store_public_ids=[ctx.stores[i].public_id for i in store_indexes]
            )


def seed_api_key(ctx: DemoContext) -> None:
    ApiKey.objects.create(
        merchant=ctx.merchant, name="demo (fixed)", prefix=DEMO_API_KEY[:12], key_hash=hash_api_key(DEMO_API_KEY)
    )


class _SimulatorQrIssuer:
    """Issues QR codes in-process at the simulator: no server runs while the demo is seeded."""

    def __init__(self, account: SimAccount) -> None:
        self.account = account

    def qrcode_create(self, scene: int | str, *, permanent: bool, expire_seconds: int | None = None) -> IssuedQrCode:
        payload = qrcode_action(scene, permanent=permanent, expire_seconds=expire_seconds)
        ticket = qr_create(account=self.account, payload=payload)
        return IssuedQrCode(ticket=ticket.ticket, url=ticket.url, expire_seconds=ticket.expire_seconds)


DEMO_FOLLOWERS = ["小林", "Amy", "老王", "Chen"]


def seed_members(ctx: DemoContext) -> None:
    """Store, guide and channel QR codes; followers who came through them; the greeting, rules, menu."""
    wechat = wechat_account_of(merchant=ctx.merchant)
    account = account_for_appid(wechat.appid) if wechat else None
    if account is None:
        return
    issuer, merchant = _SimulatorQrIssuer(account), ctx.merchant
    guide = StaffMember.objects.for_merchant(merchant).get(user__username="demo-clerk")
    codes = [members.qr_code_create(merchant=merchant, kind=QrCodeKind.STORE, store=s, api=issuer) for s in ctx.stores]
    codes.append(
        members.qr_code_create(merchant=merchant, kind=QrCodeKind.GUIDE, staff=guide, store=ctx.stores[0], api=issuer)
    )
    codes.append(members.qr_code_create(merchant=merchant, kind=QrCodeKind.CHANNEL, channel="传单 flyer", api=issuer))
    for number, nickname in enumerate(DEMO_FOLLOWERS, start=1):
        openid = f"oDEMO{number:023d}"
        members.member_follow(merchant=merchant, openid=openid, scene=codes[number - 1].scene_str)
        members.member_update_profile(merchant=merchant, openid=openid, nickname=nickname)
        members.member_touch(merchant=merchant, openid=openid, kind=TouchKind.MESSAGE, detail={"msg_type": "text"})
    members.member_unfollow(merchant=merchant, openid=f"oDEMO{len(DEMO_FOLLOWERS):023d}")
    greeting_set(merchant=merchant, reply=ReplyInput(text="欢迎关注麦田烘焙！发送你的位置，看看离你最近的门店。"))
    hours = ReplyInput(text="每天 7:30-22:00，福田店周五、周六营业至凌晨 1 点。")
    rule_create(merchant=merchant, data=RuleInput(keyword="营业时间", reply=hours))
    rule_create(merchant=merchant, data=RuleInput(keyword="HOURS", reply=hours))
    menu_save(
        merchant=merchant,
        buttons=[
            {"type": "click", "name": "营业时间", "key": "HOURS"},
            {"type": "view", "name": "附近门店", "url": f"{settings.PUBLIC_URL}/m/{merchant.slug}/stores/"},
        ],
    )


def seed_pay(ctx: DemoContext) -> None:
    """Simulated WeChat Pay: the demo takes payments in the simulator's wallet."""
    if settings.WECHAT_MODE == "simulator":
        pay_settings_create_simulated(merchant=ctx.merchant, actor="demo")


# Each step: (label, function). Later capabilities append theirs.
STEPS: list[tuple[str, Callable[[DemoContext], None]]] = [
    ("stores", seed_stores),
    ("staff", seed_staff),
    ("api key", seed_api_key),
    ("members", seed_members),
    ("pay", seed_pay),
]


def demo_reset() -> None:
    """Remove the demo merchants and the demo operator (and only them)."""
    Merchant.objects.filter(slug__in=[DEMO_SLUG, DEMO_PENDING_SLUG]).delete()
    usernames = [s[0] for s in STAFF] + [DEMO_OPERATOR, f"{DEMO_PENDING_SLUG}-owner"]
    get_user_model().objects.filter(username__in=usernames).delete()


def demo_seed(progress: Callable[[int, int, str], None] | None = None) -> DemoContext:
    """Reset and seed the demo in one transaction; ``progress(done, total, label)`` is told each step."""
    total = len(STEPS) + 2
    report = progress or (lambda done, total, label: None)
    with transaction.atomic():
        report(0, total, "reset")
        demo_reset()
        created = merchant_create(
            name="麦田烘焙 Wheatfield Bakery",
            slug=DEMO_SLUG,
            owner_username="demo-owner",
            owner_password=DEMO_PASSWORD,
            status=MerchantStatus.ACTIVE,
            actor="demo",
        )
        ctx = DemoContext(merchant=created.merchant)
        for done, (label, step) in enumerate(STEPS, start=1):
            report(done, total, label)
            step(ctx)
        report(total - 1, total, "platform")
        merchant_create(
            name="花漾美发 Blossom Salon",
            slug=DEMO_PENDING_SLUG,
            status=MerchantStatus.PENDING,
            owner_password=DEMO_PASSWORD,
            actor="demo",
        )
        get_user_model().objects.create_user(username=DEMO_OPERATOR, password=DEMO_PASSWORD, is_staff=True)
        report(total, total, "done")
    return ctx


def demo_logins() -> list[tuple[str, str, str]]:
    """(where, username, what it shows) for the printed banner."""
    rows = [("/platform/", DEMO_OPERATOR, "platform operator")]
    rows += [("/dashboard/", username, str(StaffRole(role).label)) for username, role, _, _ in STAFF]
    return rows
