"""The flash-sale state machine (every status change goes through FLASH_SALE.transition).

    scheduled -> live | ended (never went live) | cancelled
    live      -> ended | cancelled

``flash_sales_advance`` moves sales along their window; the console or the API cancels.
Claims follow their orders (``CLAIM``): pending_payment -> paid | lapsed.
"""

from weloop.core.state import StateMachine
from weloop.flashsales.enums import ClaimStatus as C
from weloop.flashsales.enums import FlashSaleStatus as S

FLASH_SALE = StateMachine(
    "flash_sale",
    {
        S.SCHEDULED: {S.LIVE, S.ENDED, S.CANCELLED},
        S.LIVE: {S.ENDED, S.CANCELLED},
        S.ENDED: set(),
        S.CANCELLED: set(),
    },
)

CLAIM = StateMachine("flash_sale_claim", {C.PENDING_PAYMENT: {C.PAID, C.LAPSED}, C.PAID: set(), C.LAPSED: set()})
