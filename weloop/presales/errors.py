from weloop.core.errors import Conflict, ValidationFailed, WeloopError


class InvalidPresale(ValidationFailed):
    """``extra``: {"field"}."""

    code = "presales.invalid"
    message = "The presale is not valid."


class PresaleNotOpen(WeloopError):
    """``extra``: {"presale", "status"}."""

    code = "presales.not_open"
    status = 409
    message = "This presale is not open."


class PresaleClosed(WeloopError):
    """The deadline has passed. ``extra``: {"presale"}."""

    code = "presales.closed"
    status = 409
    message = "This presale has closed."


class PresaleFull(WeloopError):
    """Every unit of the presale's maximum quantity is taken. ``extra``: {"presale", "available"}."""

    code = "presales.full"
    status = 409
    message = "This presale is full."


class OverMemberLimit(ValidationFailed):
    """``extra``: {"limit", "already", "requested"}."""

    code = "presales.member_limit"
    message = "That is more than one member may order in this presale."


class NotSettleable(Conflict):
    """Settling now needs the target met or the deadline passed. ``extra``: {"presale", "status"}."""

    code = "presales.not_settleable"
    message = "This presale cannot be settled now: the target is not met and the deadline has not passed."


class NoBalanceDue(Conflict):
    """``extra``: {"entry", "balance_status"}."""

    code = "presales.no_balance_due"
    message = "There is no balance to pay on this presale order."


class BalanceWindowClosed(WeloopError):
    code = "presales.balance_window_closed"
    status = 409
    message = "The time to pay the balance has passed; the deposit is forfeited."
