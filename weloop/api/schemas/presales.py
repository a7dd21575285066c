"""Shapes of /presales: a presale with its progress, creating one, its participants, joining."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field, StrictInt

from weloop.api.schemas.common import InputSchema, Page
from weloop.api.schemas.orders import AddressIn
from weloop.presales.enums import EntryStatus, PresaleMode, PresaleStatus
from weloop.presales.models import Presale, PresaleEntry
from weloop.presales.selectors import presale_progress


class PresaleIn(InputSchema):
    sku_id: str = Field(description="The SKU pre-sold (`sku_…`); it must be on sale.", examples=["sku_4K9QX2M7PA"])
    title: str = Field("", max_length=120, description="Shown to members; the product's name when empty.")
    description: str = Field("", max_length=2000, description="What is made, and the deposit rule.")
    mode: PresaleMode = Field(
        description="`full`: members pay the whole price when joining; `deposit`: a deposit now, the balance "
        "after success (an unpaid balance forfeits the deposit).",
        examples=["deposit"],
    )
    price_fen: StrictInt = Field(description="The presale price per unit in fen (more than 0).", examples=[29900])
    deposit_fen: StrictInt = Field(
        0, description="Deposit mode: per unit, more than 0, less than the price.", examples=[5000]
    )
    target_quantity: StrictInt = Field(description="Paid units needed by the deadline for production.", examples=[100])
    max_quantity: StrictInt | None = Field(
        None, description="At most this many units (>= target); never oversold.", examples=[300]
    )
    per_member_limit: StrictInt = Field(5, description="Units one member may order (1-999).", examples=[2])
    deadline: datetime = Field(description="When joining closes and the presale is decided (future, with time zone).")
    balance_window_hours: StrictInt = Field(72, description="Deposit mode: hours to pay the balance after success.")
    lead_time_text: str = Field(
        "", max_length=200, description="Production and shipping time, shown to members.", examples=["成团后15天内发货"]
    )
    store_id: str | None = Field(None, description="Pickup store (`st_…`); without it the goods are delivered.")
    open: bool = Field(True, description="Open it at once (else it stays a draft).")


class ProgressOut(Schema):
    paid_quantity: int = Field(description="Paid units (only paid orders count).", examples=[64])
    target_quantity: int = Field(description="Paid units needed for the presale to succeed.", examples=[100])
    percent: int = Field(description="paid / target, 0-100.", examples=[64])
    participants: int = Field(description="Members who paid.", examples=[50])
    pending_quantity: int = Field(description="Units ordered and not yet paid.", examples=[3])
    available: int | None = Field(description="Units left under the maximum; null without a maximum.", examples=[236])
    refunds_due: int = Field(description="Participants still to refund (failure or cancellation).", examples=[0])
    refund_errors: int = Field(description="Refunds that failed and will be retried.", examples=[0])


class PresaleOut(Schema):
    id: str = Field(description="The presale's public id (`ps_…`).", examples=["ps_8ZK2M4Q7PX"])
    title: str = Field(description="Shown to members.")
    description: str = Field(description="Shown on the presale page.")
    sku_id: str = Field(description="The SKU sold (`sku_…`).")
    mode: PresaleMode = Field(description="full (pay all now) or deposit (deposit now, balance after success).")
    price_fen: int = Field(description="Price of one unit, in fen.")
    deposit_fen: int = Field(description="Deposit per unit in fen (deposit mode; 0 in full mode).")
    balance_fen: int = Field(description="Per unit, paid after success (deposit mode); 0 in full mode.")
    target_quantity: int = Field(description="Paid units needed to succeed.")
    max_quantity: int | None = Field(description="Most units sold in all; null = no limit.")
    per_member_limit: int = Field(description="Most units one member may order.")
    deadline: datetime = Field(description="When the presale is settled.")
    balance_window_hours: int = Field(description="Hours after success to pay the balance (deposit mode).")
    lead_time_text: str = Field(description="Production and shipping time, as shown to members.")
    store_id: str | None = Field(description="The pickup store (`st_…`), or null for delivery.")
    status: PresaleStatus = Field(
        description="`draft`, `open`, `succeeded`, `failed`, `cancelled`, `refunding` or `refunded`."
    )
    outcome: str = Field(description="How it ended: `succeeded`, `failed`, `cancelled`, or empty.")
    progress: ProgressOut = Field(description="Paid and pending units against the target.")


class PresalePage(Page):
    items: list[PresaleOut] = Field(description="Presales on this page, newest first.")


class PresaleFilters(Schema):
    status: PresaleStatus | None = Field(None, description="Only presales with this status.")


class CancelIn(InputSchema):
    reason: str = Field("", max_length=200, description="Why, for the presale's history.")


class JoinIn(InputSchema):
    openid: str = Field(description="The member's openid of your service account.")
    quantity: StrictInt = Field(1, description="Units (1 to the per-member limit).")
    address: AddressIn | None = Field(None, description="Delivery address, for a presale without a pickup store.")


class ParticipantOut(Schema):
    id: str = Field(description="The participant's entry (`pse_…`).")
    member_id: str = Field(description="The member (`mb_…`).")
    order_no: str = Field(description="The order paying the price (full) or the deposit.")
    quantity: int = Field(description="Units ordered.")
    status: EntryStatus = Field(description="Where this participant stands (paid, balance due, refunded…).")
    paid_at: datetime | None = Field(description="When the order (or deposit) was paid.")
    refund_out_no: str = Field(description="The refund of the order, when one was asked.")
    refund_error: str = Field(description="Why the last refund attempt failed (retried).")
    balance_status: str = Field(description="Deposit mode: `none`, `due`, `paid` or `forfeited`.")
    balance_fen: int = Field(description="Balance still to pay, in fen.")
    balance_due_at: datetime | None = Field(description="When the balance is due.")
    balance_order_no: str | None = Field(description="The balance order, once created.")


class ParticipantPage(Page):
    items: list[ParticipantOut] = Field(description="Participants, newest first.")


def presale_out(presale: Presale) -> dict:
    progress = presale_progress(presale=presale)
    return {
        "id": presale.public_id,
        "title": presale.title,
        "description": presale.description,
        "sku_id": presale.sku.public_id,
        "mode": presale.mode,
        "price_fen": presale.price_fen,
        "deposit_fen": presale.deposit_fen,
        "balance_fen": presale.balance_fen,
        "target_quantity": presale.target_quantity,
        "max_quantity": presale.max_quantity,
        "per_member_limit": presale.per_member_limit,
        "deadline": presale.deadline,
        "balance_window_hours": presale.balance_window_hours,
        "lead_time_text": presale.lead_time_text,
        "store_id": presale.store.public_id if presale.store else None,
        "status": presale.status,
        "outcome": presale.outcome,
        "progress": {
            "paid_quantity": progress.paid_quantity,
            "target_quantity": progress.target_quantity,
            "percent": progress.percent,
            "participants": progress.participants,
            "pending_quantity": progress.pending_quantity,
            "available": progress.available,
            "refunds_due": progress.refunds_due + progress.refunds_requested,
            "refund_errors": progress.refund_errors,
        },
    }


def participant_out(entry: PresaleEntry) -> dict:
    return {
        "id": entry.public_id,
        "member_id": entry.member.public_id,
        "order_no": entry.order.order_no,
        "quantity": entry.quantity,
        "status": entry.status,
        "paid_at": entry.paid_at,
        "refund_out_no": entry.refund_out_no,
        "refund_error": entry.refund_error,
        "balance_status": entry.balance_status,
        "balance_fen": entry.balance_fen,
        "balance_due_at": entry.balance_due_at,
        "balance_order_no": entry.balance_order.order_no if entry.balance_order else None,
    }
