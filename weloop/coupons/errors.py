"""Errors of coupons: each with a stable code and a message a member or clerk can act on."""

from weloop.core.errors import Conflict, NotFound, ValidationFailed


class InvalidTemplate(ValidationFailed):
    code = "coupons.invalid_template"
    message = "The coupon template is not valid."


class CouponBudgetExhausted(Conflict):
    code = "coupons.budget_exhausted"
    message = "All coupons of this kind have been given out."


class CouponLimitReached(Conflict):
    code = "coupons.limit_reached"
    message = "You already have as many of these coupons as allowed."


class TemplateNotIssuable(Conflict):
    code = "coupons.not_issuable"
    message = "This coupon is paused or ended and cannot be given out."


class UnknownCoupon(NotFound):
    code = "coupons.unknown_coupon"
    message = "No coupon has this code."


class CouponNotUsable(Conflict):
    code = "coupons.not_usable"
    message = "This coupon cannot be used now."


class CouponAlreadyUsed(Conflict):
    code = "coupons.already_used"
    message = "This coupon has already been used."


class CouponExpired(Conflict):
    code = "coupons.expired"
    message = "This coupon has expired."


class CouponNotYetValid(Conflict):
    code = "coupons.not_yet_valid"
    message = "This coupon cannot be used yet."


class CouponWrongStore(Conflict):
    code = "coupons.wrong_store"
    message = "This coupon cannot be used in this store."


class CouponThresholdNotMet(Conflict):
    code = "coupons.threshold_not_met"
    message = "The amount is below what this coupon needs."


class CouponsDoNotCombine(Conflict):
    code = "coupons.do_not_combine"
    message = "These coupons cannot be used together."


class AlreadyClaimed(Conflict):
    code = "coupons.already_claimed"
    message = "You have already claimed this coupon."
