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

from weloop.catalog import services as catalog
from weloop.catalog.imports import catalog_import_start
from weloop.catalog.models import Sku
from weloop.core import clock
from weloop.demo.seed_bookings import seed_bookings
from weloop.demo.seed_campaigns import seed_campaigns
from weloop.demo.seed_coupons import seed_coupons
from weloop.demo.seed_deals import seed_deals
from weloop.demo.seed_engagement import seed_engagement
from weloop.demo.seed_loyalty import seed_loyalty
from weloop.demo.seed_notifications import seed_notifications
from weloop.demo.seed_orders import seed_order_states
from weloop.demo.seed_presales import seed_presales
from weloop.demo.seed_referrals import seed_referrals
from weloop.demo.seed_segments import seed_segments
from weloop.demo.seed_tags import seed_tags
from weloop.demo.service_desk_seed import seed_service_desk
from weloop.inventory import services as inventory
from weloop.inventory.calculations import sku_subject
from weloop.inventory.enums import PoolKind
from weloop.members import services as members
from weloop.members.enums import QrCodeKind, TouchKind
from weloop.members.models import Member
from weloop.messaging.services import ReplyInput, RuleInput, greeting_set, menu_save, rule_create
from weloop.orders import services as orders
from weloop.orders.models import Order
from weloop.payments.models import Payment, PaymentLedgerEntry, Refund
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


# --- catalog: a bakery-café menu, prices in fen, stock per store --------------------------------

# (category, name, kind, description, option names, [(code, options, price_fen, list_price_fen)])
DEMO_PRODUCTS = [
    ("面包", "法式可颂", "physical", "每日现烤，黄油层层酥脆。", [], [("BR-CROISSANT", {}, 1200, None)]),
    ("面包", "全麦吐司", "physical", "100% 全麦粉，整条切片。", [], [("BR-TOAST-WW", {}, 1880, 2200)]),
    ("面包", "肉松小贝", "physical", "咸甜肉松，奶油夹心。", [], [("BR-PORKFLOSS", {}, 990, None)]),
    (
        "蛋糕",
        "草莓奶油蛋糕",
        "physical",
        "当季草莓，动物奶油。提前一天预订。",
        ["尺寸"],
        [("CK-STRAW-6", {"尺寸": "6寸"}, 16800, None), ("CK-STRAW-8", {"尺寸": "8寸"}, 22800, None)],
    ),
    (
        "蛋糕",
        "巧克力慕斯",
        "physical",
        "70% 黑巧克力。",
        ["尺寸"],
        [("CK-CHOC-6", {"尺寸": "6寸"}, 15800, None), ("CK-CHOC-8", {"尺寸": "8寸"}, 21800, None)],
    ),
    (
        "咖啡",
        "拿铁",
        "physical",
        "意式浓缩加鲜牛奶。",
        ["杯型", "温度"],
        [
            ("CF-LATTE-M-HOT", {"杯型": "中杯", "温度": "热"}, 2800, None),
            ("CF-LATTE-M-ICE", {"杯型": "中杯", "温度": "冰"}, 2800, None),
            ("CF-LATTE-L-HOT", {"杯型": "大杯", "温度": "热"}, 3200, None),
            ("CF-LATTE-L-ICE", {"杯型": "大杯", "温度": "冰"}, 3200, None),
        ],
    ),
    (
        "咖啡",
        "美式咖啡",
        "physical",
        "单一产地豆。",
        ["杯型", "温度"],
        [
            ("CF-AMER-M-HOT", {"杯型": "中杯", "温度": "热"}, 2200, None),
            ("CF-AMER-M-ICE", {"杯型": "中杯", "温度": "冰"}, 2200, None),
            ("CF-AMER-L-HOT", {"杯型": "大杯", "温度": "热"}, 2600, None),
            ("CF-AMER-L-ICE", {"杯型": "大杯", "温度": "冰"}, 2600, None),
        ],
    ),
    (
        "礼盒",
        "储值卡充值",
        "virtual",
        "充值到会员储值卡，到账后以兑换码形式发放。",
        ["面额"],
        [("GC-TOPUP-100", {"面额": "100元"}, 10000, None), ("GC-TOPUP-200", {"面额": "200元"}, 19000, 20000)],
    ),
]

# A CSV the demo imports in the queue, so the console's import history has a job to show.
DEMO_IMPORT_CSV = (
    "product_name,category,kind,description,sku_code,options,price,list_price,weight_g,active\n"
    "中秋月饼礼盒,礼盒,physical,六只装,GB-MOONCAKE-6,,198.00,238.00,900,yes\n"
)


def seed_catalog(ctx: DemoContext) -> None:
    """Categories, products with SKUs and options, a store price, and stock in every store."""
    merchant = ctx.merchant
    categories = {
        name: catalog.category_create(merchant=merchant, name=name, position=i)
        for i, name in enumerate(["面包", "蛋糕", "咖啡", "礼盒"])
    }
    skus = []
    for category, name, kind, description, option_names, sku_rows in DEMO_PRODUCTS:
        data = catalog.ProductInput(
            name=name,
            kind=kind,
            description=description,
            category_id=categories[category].public_id,
            option_names=option_names,
        )
        product = catalog.product_create(merchant=merchant, data=data, actor="demo")
        for code, options, price, list_price in sku_rows:  # type: ignore[attr-defined]
            sku_data = catalog.SkuInput(code=code, price_fen=price, options=options, list_price_fen=list_price)
            skus.append(
                catalog.sku_create(merchant=merchant, product_id=product.public_id, data=sku_data, actor="demo")
            )
        catalog.product_set_status(merchant=merchant, product_id=product.public_id, status="active", actor="demo")
    # Lattes cost 2 yuan more at the COCO Park flagship: a store price override.
    for sku in skus:
        if sku.code.startswith("CF-LATTE"):
            catalog.store_price_set(
                merchant=merchant,
                sku_id=sku.public_id,
                store=ctx.stores[0],
                price_fen=sku.price_fen + 200,
                actor="demo",
            )
    _seed_stock(ctx, [sku for sku in skus if sku.product.kind == "physical"])
    catalog_import_start(merchant=merchant, data=DEMO_IMPORT_CSV.encode(), filename="demo-import.csv", actor="demo")


def _seed_stock(ctx: DemoContext, skus: list) -> None:
    """Each store stocks every physical SKU; the 8-inch cakes are sold out everywhere but 福田."""
    for i, store in enumerate(ctx.stores):
        location = inventory.location_for_store(merchant=ctx.merchant, store=store)
        for j, sku in enumerate(skus):
            units = 0 if sku.code.endswith("-8") and i > 0 else 5 + (i * 7 + j * 3) % 20
            pool, _ = inventory.capacity_pool_get_or_create(
                merchant=ctx.merchant, kind=PoolKind.GOODS_STOCK, subject=sku_subject(sku.public_id), location=location
            )
            inventory.capacity_set_available(
                merchant=ctx.merchant, pool=pool, available=units, reason="demo stocktake", actor="demo"
            )


# --- orders: a paid pickup, a shipped delivery with tracking, one waiting for payment -----------


def seed_orders(ctx: DemoContext) -> None:
    """Three orders of demo followers, through the orders services; skipped without members (live mode)."""
    merchant = ctx.merchant
    buyers = list(Member.objects.for_merchant(merchant).order_by("id")[:3])
    if len(buyers) < 3:
        return
    clerk = StaffMember.objects.for_merchant(merchant).get(user__username="demo-clerk")
    sku = {s.code: s for s in Sku.objects.for_merchant(merchant)}
    # A clerk takes a valet pickup order and is paid in cash at the counter.
    pickup = orders.order_valet_create(
        merchant=merchant,
        staff=clerk,
        member_openid=buyers[0].openid,
        lines=[
            orders.LineInput(sku["BR-CROISSANT"].public_id, 2),
            orders.LineInput(sku["CF-LATTE-M-HOT"].public_id, 1),
        ],
        fulfilment=orders.Fulfilment(type="pickup", store=ctx.stores[0]),
        note="少糖",
    )
    _pay_at_counter(merchant, pickup, clerk)
    # Home delivery from the central warehouse, paid, shipped and on its way.
    warehouse = inventory.location_create(merchant=merchant, name="中央仓 Central warehouse")
    toast = sku["BR-TOAST-WW"]
    inventory.capacity_pool_get_or_create(
        merchant=merchant,
        kind=PoolKind.GOODS_STOCK,
        subject=sku_subject(toast.public_id),
        location=warehouse,
        initial_capacity=30,
        actor="demo",
    )
    address = orders.Address(
        name="老王", phone="13800138000", city="深圳市", district="南山区", detail="科苑南路 2666 号"
    )
    delivery = orders.checkout_place(
        merchant=merchant,
        member=buyers[2],
        lines=[orders.LineInput(toast.public_id, 2)],
        fulfilment=orders.Fulfilment(type="delivery", address=address),
        actor="demo",
    )
    _pay_at_counter(merchant, delivery, clerk)
    shipment = orders.order_ship(
        merchant=merchant, order=delivery, carrier="顺丰速运", tracking_no="SF1000000001", actor="demo"
    )
    orders.shipment_add_tracking_event(
        merchant=merchant,
        shipment=shipment,
        at=clock.now() - timedelta(hours=2),
        description="已揽收",
        location="深圳南山",
    )
    # An order still waiting for payment (it expires after the payment window).
    orders.checkout_place(
        merchant=merchant,
        member=buyers[1],
        lines=[orders.LineInput(sku["CF-AMER-M-HOT"].public_id, 1)],
        fulfilment=orders.Fulfilment(type="pickup", store=ctx.stores[1]),
        actor="demo",
    )


def _pay_at_counter(merchant: Merchant, order: Order, clerk: StaffMember) -> None:
    payment = orders.order_record_offline_payment(merchant=merchant, order=order, method="offline_cash", staff=clerk)
    # Applied now, as the outbox handler would: the next demo step (shipping) needs a paid order.
    orders.order_apply_payment(
        merchant=merchant,
        order_no=order.order_no,
        payment_id=payment.public_id,
        amount_fen=payment.amount_fen,
        actor="demo",
    )


def seed_nearby_and_reviews(ctx: DemoContext) -> None:
    """The nearby index of the stores, and two verified reviews of the Futian store (one replied)."""
    from weloop.discovery.services import location_reindex
    from weloop.reviews import services as reviews
    from weloop.reviews.enums import ConsumptionKind

    location_reindex(merchant=ctx.merchant)
    buyers = list(Member.objects.for_merchant(ctx.merchant).order_by("id")[:2])
    store = ctx.stores[0]
    for i, (buyer, rating, text) in enumerate(
        zip(buyers, [5, 4], ["可颂很酥，拿铁刚刚好。", "环境不错，周末人有点多。"], strict=False)
    ):
        item = reviews.eligibility_record(
            merchant=ctx.merchant,
            kind=ConsumptionKind.ORDER,
            source_ref=f"DEMO-REVIEW-{i + 1}",
            member_ref=buyer.public_id,
            store_ref=store.public_id,
            title="到店消费 / in-store purchase",
        )
        review = reviews.review_create(
            merchant=ctx.merchant,
            member_ref=buyer.public_id,
            eligibility_id=item.public_id,
            rating=rating,
            text=text,
            author_name=buyer.nickname,
        )
        if i == 0:
            thanks = "谢谢喜欢，欢迎常来！"
            reviews.review_reply(merchant=ctx.merchant, review_id=review.public_id, text=thanks, actor="demo")


def seed_flash_sales(ctx: DemoContext) -> None:
    """One live flash sale (pickup at the first store) and one starting tomorrow (delivered)."""
    from datetime import timedelta

    from weloop.catalog.models import Sku
    from weloop.core import clock
    from weloop.flashsales.services import flash_sale_create

    merchant = ctx.merchant
    skus = list(Sku.objects.for_merchant(merchant).filter(is_active=True, product__status="active").order_by("id")[:2])
    if not skus:
        return
    now = clock.now()
    flash_sale_create(
        merchant=merchant,
        sku=skus[0],
        title="限时抢购：今日特价",
        price_fen=max(skus[0].price_fen // 2, 1),
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(days=2),
        quota=20,
        store=ctx.stores[0] if ctx.stores else None,
        actor="demo",
    )
    tomorrow = now + timedelta(days=1)
    flash_sale_create(
        merchant=merchant,
        sku=skus[-1],
        title="明晚八点秒杀",
        price_fen=max(skus[-1].price_fen // 3, 1),
        starts_at=tomorrow,
        ends_at=tomorrow + timedelta(hours=1),
        quota=50,
        actor="demo",
    )


# Each step: (label, function). Later capabilities append theirs.
def seed_attribution(ctx: DemoContext) -> None:
    """The attribution ledger of everything the steps above sold, refunded and redeemed."""
    from weloop.analytics.services import attribution_backfill

    attribution_backfill(merchant=ctx.merchant)


STEPS: list[tuple[str, Callable[[DemoContext], None]]] = [
    ("stores", seed_stores),
    ("staff", seed_staff),
    ("api key", seed_api_key),
    ("members", seed_members),
    ("pay", seed_pay),
    ("catalog", seed_catalog),
    ("orders", seed_orders),
    ("order states", seed_order_states),
    ("nearby and reviews", seed_nearby_and_reviews),
    ("service desk", seed_service_desk),
    ("deals", seed_deals),
    ("coupons", seed_coupons),
    ("flash sales", seed_flash_sales),
    ("presales", seed_presales),
    ("events and surveys", seed_engagement),
    ("bookings", seed_bookings),
    ("notifications", seed_notifications),
    ("referrals", seed_referrals),
    ("loyalty", seed_loyalty),  # after the orders steps: points from paid orders
    ("campaigns", seed_campaigns),
    ("attribution", seed_attribution),
    ("tags", seed_tags),  # after members, catalog and orders: rules backfill from them
    ("segments", seed_segments),  # after the members and tags steps
]


def demo_reset() -> None:
    """Remove the demo merchants and the demo operator (and only them)."""
    demo_merchants = Merchant.objects.filter(slug__in=[DEMO_SLUG, DEMO_PENDING_SLUG])
    # Money records are PROTECTed from cascades (a real merchant's payments are never deleted by
    # accident): the demo's own go first, ledger before refunds before payments.
    for money_model in (PaymentLedgerEntry, Refund, Payment):
        money_model.objects.filter(merchant__in=demo_merchants).delete()
    demo_merchants.delete()
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
