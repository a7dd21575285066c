"""Errors of deals and vouchers: each with a stable code and a message a clerk can act on."""

from weloop.core.errors import Conflict, NotFound, ValidationFailed, WeloopError


class InvalidDeal(ValidationFailed):
    code = "vouchers.invalid_deal"
    message = "The deal is not valid."


class MalformedCode(ValidationFailed):
    code = "vouchers.malformed_code"
    message = "This is not a voucher code: check it for a typo (16 characters, 0-9 and A-Z)."


class UnknownCode(NotFound):
    code = "vouchers.unknown_code"
    message = "No voucher has this code."


class WrongStore(WeloopError):
    code = "vouchers.wrong_store"
    status = 403
    message = "This voucher cannot be used in this store."


class VoucherNotYetValid(Conflict):
    code = "vouchers.not_yet_valid"
    message = "This voucher cannot be used yet."


class VoucherExpired(Conflict):
    code = "vouchers.expired"
    message = "This voucher has expired."


class VoucherUsed(Conflict):
    code = "vouchers.already_used"
    message = "This voucher has already been used."


class NotEnoughUses(Conflict):
    code = "vouchers.not_enough_uses"
    message = "This voucher has fewer uses left than asked for."


class VoucherClosed(Conflict):
    code = "vouchers.closed"
    message = "This voucher was refunded or voided and cannot be used."


class InvalidCount(ValidationFailed):
    code = "vouchers.invalid_count"
    message = "The number of uses is a whole number of at least 1."


class UndoWindowPassed(Conflict):
    code = "vouchers.undo_window_passed"
    message = "This redemption is too old to undo."


class AlreadyUndone(Conflict):
    code = "vouchers.already_undone"
    message = "This redemption was already undone."


class RefundNotAllowed(Conflict):
    code = "vouchers.refund_not_allowed"
    message = "This voucher cannot be refunded."
