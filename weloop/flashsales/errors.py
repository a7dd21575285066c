from weloop.core.errors import Conflict, ValidationFailed, WeloopError


class InvalidFlashSale(ValidationFailed):
    """``extra``: {"field"}."""

    code = "flashsales.invalid"
    message = "The flash sale is not valid."


class SaleNotStarted(WeloopError):
    """``extra``: {"sale", "starts_at"}."""

    code = "flashsales.not_started"
    status = 409
    message = "This flash sale has not started yet."


class SaleEnded(WeloopError):
    code = "flashsales.ended"
    status = 409
    message = "This flash sale has ended."


class SaleCancelled(WeloopError):
    code = "flashsales.cancelled"
    status = 409
    message = "This flash sale was cancelled."


class SoldOut(WeloopError):
    """Every unit is taken (some may come back when a winner does not pay in time)."""

    code = "flashsales.sold_out"
    status = 409
    message = "Sold out."


class AlreadyClaimed(Conflict):
    """The member already won this sale. ``extra``: {"sale", "order_no"} (order_no may be "")."""

    code = "flashsales.already_claimed"
    message = "You already have this offer: pay your order to keep it."


class OverMemberLimit(ValidationFailed):
    """``extra``: {"limit", "requested"}."""

    code = "flashsales.member_limit"
    message = "That is more than one member may buy in this flash sale."


class SaleBusy(WeloopError):
    code = "flashsales.busy"
    status = 503
    message = "The flash sale is very busy; please try again."
