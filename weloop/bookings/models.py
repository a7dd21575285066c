"""Bookings (预约): services whose inventory is a time and a place, leads, and goods reservations.

- ``Service``: what can be booked (duration, price, payment mode, cancellation policy, the kind of
  resource it needs, the stores offering it). A paid service sells through a catalog SKU of kind
  ``service`` so that its bookings are ordinary orders.
- ``Resource``: a member of staff, a room or a table at one store, ``capacity`` bookings at once,
  cut into slots of ``slot_minutes``. Its week is ``ScheduleRule`` rows, dated ``ScheduleException``
  rows replace a day.
- Slot capacity lives in the inventory engine: one ``CapacityPool`` of kind ``time_slot`` per
  (resource, slot start), subject ``slot:<resource id>:<YYYYMMDDHHMM>``, at the store's location,
  created the first time someone books it. A booking holds one unit of each slot it covers, with
  the booking's public id as the holds' reference.
- ``Booking`` (``state.BOOKING``), ``BookingChange`` (what changed, for booking_changed), ``Lead``
  (``state.LEAD``), ``Reservation`` (``state.RESERVATION``: goods held at a store, paid there).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from weloop.bookings.enums import BookingStatus, LeadStatus, PaymentMode, ReservationStatus, ResourceKind
from weloop.core import clock
from weloop.core.ids import public_id_field
from weloop.core.models import TenantModel


class Service(TenantModel):
    URL_KWARG = "service_id"

    public_id = public_id_field("svc_")
    name = models.CharField(_("name"), max_length=80)
    description = models.CharField(_("description"), max_length=500, blank=True, default="")
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"))
    price_fen = models.BigIntegerField(_("price"), default=0)
    payment_mode = models.CharField(_("payment"), max_length=16, choices=PaymentMode.choices)
    deposit_fen = models.BigIntegerField(_("deposit"), default=0)
    resource_kind = models.CharField(_("needs a"), max_length=16, choices=ResourceKind.choices)
    # Cancellation policy: free until this many hours before the start; later, the fee is kept
    # (at most what was paid; for a deposit, a fee equal to the deposit keeps all of it).
    free_cancel_hours = models.PositiveIntegerField(_("free cancellation until (hours before)"), default=24)
    late_cancel_fee_fen = models.BigIntegerField(_("late cancellation fee"), default=0)
    # A consultation or home visit for big-ticket goods: free, and each booking opens a Lead.
    is_consultation = models.BooleanField(_("consultation (opens a lead)"), default=False)
    is_active = models.BooleanField(_("bookable"), default=True)
    sku = models.ForeignKey("catalog.Sku", on_delete=models.RESTRICT, null=True, blank=True, related_name="+")
    stores = models.ManyToManyField("stores.Store", through="ServiceStore", related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="booking_service_public_id_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "name"], name="booking_service_name_per_merchant"),
            models.CheckConstraint(condition=Q(duration_minutes__gt=0), name="booking_service_duration_positive"),
            models.CheckConstraint(condition=Q(price_fen__gte=0), name="booking_service_price_not_negative"),
            models.CheckConstraint(condition=Q(deposit_fen__gte=0), name="booking_service_deposit_not_negative"),
            models.CheckConstraint(condition=Q(late_cancel_fee_fen__gte=0), name="booking_service_fee_not_negative"),
            models.CheckConstraint(condition=Q(payment_mode__in=PaymentMode.values), name="booking_service_mode_known"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def prepay_fen(self) -> int:
        """What a member pays online when booking (0: nothing, pay at the store)."""
        if self.payment_mode == PaymentMode.FULL:
            return self.price_fen
        if self.payment_mode == PaymentMode.DEPOSIT:
            return self.deposit_fen
        return 0


class ServiceStore(TenantModel):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="service_stores")
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "service", "store"], name="booking_service_store_once"),
        ]


class Resource(TenantModel):
    URL_KWARG = "resource_id"

    public_id = public_id_field("res_")
    store = models.ForeignKey("stores.Store", on_delete=models.RESTRICT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=ResourceKind.choices)
    name = models.CharField(_("name"), max_length=80)
    capacity = models.PositiveIntegerField(_("bookings at once"), default=1)
    slot_minutes = models.PositiveIntegerField(_("slot length (minutes)"), default=30)
    is_active = models.BooleanField(_("bookable"), default=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["store_id", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="booking_resource_public_id_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "store", "name"], name="booking_resource_name_per_store"),
            models.CheckConstraint(condition=Q(capacity__gt=0), name="booking_resource_capacity_positive"),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5, slot_minutes__lte=240), name="booking_resource_slot_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ScheduleRule(TenantModel):
    """The resource works on ``weekday`` (0 = Monday) from ``starts`` to ``ends`` (same day)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="schedule")
    weekday = models.PositiveSmallIntegerField()
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["weekday", "starts"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="booking_schedule_weekday_range"),
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="booking_schedule_ordered"),
            models.UniqueConstraint(fields=["merchant", "resource", "weekday", "starts"], name="booking_schedule_once"),
        ]


class ScheduleException(TenantModel):
    """A date that differs from the week: off all day, or working special hours."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="exceptions")
    date = models.DateField()
    is_off = models.BooleanField(default=True)
    starts = models.TimeField(null=True, blank=True)
    ends = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "resource", "date"], name="booking_exception_once_a_day"),
            models.CheckConstraint(
                condition=Q(is_off=True) | (Q(starts__isnull=False) & Q(ends__isnull=False) & Q(ends__gt=F("starts"))),
                name="booking_exception_hours_ordered",
            ),
        ]


class Booking(TenantModel):
    URL_KWARG = "booking_id"

    public_id = public_id_field("bk_")
    service = models.ForeignKey(Service, on_delete=models.RESTRICT, related_name="bookings")
    resource = models.ForeignKey(Resource, on_delete=models.RESTRICT, related_name="bookings")
    store = models.ForeignKey("stores.Store", on_delete=models.RESTRICT, related_name="+")
    member = models.ForeignKey("members.Member", on_delete=models.RESTRICT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=BookingStatus.choices, default=BookingStatus.HELD)
    payment_mode = models.CharField(max_length=16, choices=PaymentMode.choices)
    price_fen = models.BigIntegerField(default=0)
    prepay_fen = models.BigIntegerField(default=0)  # what the order asks (price or deposit), 0 at the store
    order_no = models.CharField(max_length=32, blank=True, default="")
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    contact_name = models.CharField(max_length=40, blank=True, default="")
    contact_phone = models.CharField(max_length=32, blank=True, default="")
    note = models.CharField(max_length=200, blank=True, default="")
    # Cancellation: what was kept and what went back (fen), and whether the refund was asked.
    fee_fen = models.BigIntegerField(default=0)
    refund_fen = models.BigIntegerField(default=0)
    refund_no = models.CharField(max_length=40, blank=True, default="")
    refund_error = models.CharField(max_length=200, blank=True, default="")
    reminded_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="booking_public_id_per_merchant"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="booking_window_ordered"),
            models.CheckConstraint(condition=Q(status__in=BookingStatus.values), name="booking_status_known"),
            models.CheckConstraint(
                condition=Q(fee_fen__gte=0) & Q(refund_fen__gte=0) & Q(prepay_fen__gte=0) & Q(price_fen__gte=0),
                name="booking_money_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["merchant", "store", "starts_at"], name="booking_store_day_idx"),
            models.Index(fields=["merchant", "order_no"], condition=~Q(order_no=""), name="booking_order_idx"),
            models.Index(fields=["status", "starts_at"], name="booking_due_idx"),
        ]

    def __str__(self) -> str:
        return self.public_id


class BookingChange(TenantModel):
    """One change of a booking a member is told about (booking_changed's change_id)."""

    public_id = public_id_field("bkc_")
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="changes")
    what = models.CharField(max_length=200)
    from_starts_at = models.DateTimeField(null=True, blank=True)
    to_starts_at = models.DateTimeField(null=True, blank=True)
    from_resource = models.CharField(max_length=24, blank=True, default="")
    to_resource = models.CharField(max_length=24, blank=True, default="")
    actor = models.CharField(max_length=150, blank=True, default="")
    at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="booking_change_public_id_per_merchant"),
        ]


class Lead(TenantModel):
    """A prospect for big-ticket goods (furniture, decoration): from a consultation booking or staff."""

    URL_KWARG = "lead_id"

    public_id = public_id_field("ld_")
    member = models.ForeignKey("members.Member", on_delete=models.RESTRICT, null=True, blank=True, related_name="+")
    store = models.ForeignKey("stores.Store", on_delete=models.RESTRICT, null=True, blank=True, related_name="+")
    booking = models.OneToOneField(Booking, on_delete=models.RESTRICT, null=True, blank=True, related_name="lead")
    name = models.CharField(_("name"), max_length=40)
    phone = models.CharField(_("phone"), max_length=32, blank=True, default="")
    interest = models.CharField(_("interest"), max_length=200, blank=True, default="")
    status = models.CharField(max_length=16, choices=LeadStatus.choices, default=LeadStatus.NEW)
    order_no = models.CharField(_("order"), max_length=32, blank=True, default="")
    note = models.CharField(_("note"), max_length=500, blank=True, default="")
    owner = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="lead_public_id_per_merchant"),
            models.CheckConstraint(condition=Q(status__in=LeadStatus.values), name="lead_status_known"),
            models.CheckConstraint(condition=~Q(status=LeadStatus.WON) | ~Q(order_no=""), name="lead_won_has_order"),
        ]

    def __str__(self) -> str:
        return self.name


class Reservation(TenantModel):
    """Goods reserved online at a store, paid and collected there (线上预约、线下付款提货).

    The units are held in the store's goods-stock pool by an Order (channel ``reserve``,
    ``pending_payment`` until ``deadline``): the order's hold has the order number as reference,
    so paying at the counter confirms it and the order's expiry releases it.
    """

    URL_KWARG = "reservation_id"

    public_id = public_id_field("rsv_")
    member = models.ForeignKey("members.Member", on_delete=models.RESTRICT, related_name="+")
    store = models.ForeignKey("stores.Store", on_delete=models.RESTRICT, related_name="+")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.RESTRICT, related_name="+")
    quantity = models.PositiveIntegerField()
    order_no = models.CharField(max_length=32)
    deadline = models.DateTimeField()
    status = models.CharField(max_length=16, choices=ReservationStatus.choices, default=ReservationStatus.RESERVED)
    handed_over_at = models.DateTimeField(null=True, blank=True)
    handed_over_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="reservation_public_id_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "order_no"], name="reservation_once_per_order"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_quantity_positive"),
            models.CheckConstraint(condition=Q(status__in=ReservationStatus.values), name="reservation_status_known"),
        ]

    def __str__(self) -> str:
        return self.public_id
