from weloop.core.errors import Conflict, NotFound, ValidationFailed, WeloopError


class UnknownSku(ValidationFailed):
    code = "orders.unknown_sku"
    message = "This product is not (or no longer) on sale."


class InvalidQuantity(ValidationFailed):
    code = "orders.invalid_quantity"
    message = "A quantity is a positive whole number."


class PurchaseLimitExceeded(ValidationFailed):
    code = "orders.purchase_limit"
    message = "That is more of this product than one member may buy."


class InsufficientStock(WeloopError):
    code = "orders.insufficient_stock"
    status = 409
    message = "Sorry, there is not enough left of this product."


class InvalidFulfilment(ValidationFailed):
    code = "orders.invalid_fulfilment"
    message = "This way of receiving the order is not available."


class InvalidAddress(ValidationFailed):
    code = "orders.invalid_address"
    message = "The delivery address is incomplete."


class EmptyOrder(ValidationFailed):
    code = "orders.empty"
    message = "An order needs at least one product."


class OrderNotPayable(Conflict):
    code = "orders.not_payable"
    message = "This order can no longer be paid."


class InvalidPickupCode(ValidationFailed):
    code = "orders.invalid_pickup_code"
    message = "This pickup code is not valid."


class RefundExceedsRemaining(Conflict):
    code = "orders.refund_exceeds_remaining"
    message = "The refund is larger than what is left to refund."


class InvalidRefund(ValidationFailed):
    code = "orders.invalid_refund"
    message = "The refund is not valid."


class InvalidShipment(ValidationFailed):
    code = "orders.invalid_shipment"
    message = "The shipment details are not valid."


class InvalidAfterSales(ValidationFailed):
    code = "orders.invalid_aftersales"
    message = "The after-sales request is not valid."


class OrderNotFound(NotFound):
    code = "not_found"
    message = "No such order."
