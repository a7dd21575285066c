from weloop.core.errors import Conflict, ValidationFailed, WeloopError


class InvalidQuantity(ValidationFailed):
    code = "inventory.invalid_quantity"
    message = "A quantity is a positive whole number."


class InsufficientCapacity(WeloopError):
    """Not enough units left. ``extra``: {"pool", "requested", "available"}."""

    code = "inventory.insufficient"
    status = 409
    message = "Not enough left."


class BelowCommitted(Conflict):
    code = "inventory.below_committed"
    message = "Capacity cannot go below the units already held or sold."


class ReturnExceedsConsumed(Conflict):
    code = "inventory.return_exceeds_consumed"
    message = "More units would come back than were ever sold from this pool."


class HoldNotActive(Conflict):
    """The hold was released or expired: its units went back to the pool. ``extra``: {"hold", "status"}."""

    code = "inventory.hold_not_active"
    message = "This reservation has expired or was released."


class HoldAlreadyConfirmed(Conflict):
    code = "inventory.hold_confirmed"
    message = "This reservation was confirmed; return the units instead of releasing them."


class AlreadyClaimed(Conflict):
    """The buyer already holds (or bought) units of this flash sale. ``extra``: {"buyer_key", "hold"}."""

    code = "inventory.already_claimed"
    message = "You have already claimed this offer."


class BuyerLimitExceeded(ValidationFailed):
    code = "inventory.buyer_limit"
    message = "That is more than one buyer may claim."


class InvalidPool(ValidationFailed):
    code = "inventory.invalid_pool"
    message = "The capacity pool is not valid."


class InvalidLocation(ValidationFailed):
    code = "inventory.invalid_location"
    message = "The location is not valid."


class LocationNameTaken(ValidationFailed):
    code = "inventory.location_name_taken"
    message = "Another location of yours already has this name."


class ClaimerClosed(WeloopError):
    code = "inventory.claimer_closed"
    status = 503
    message = "The sale is not taking claims right now; try again."


class InvalidExpiry(ValidationFailed):
    code = "inventory.invalid_expiry"
    message = "A reservation must expire at a moment in the future."
