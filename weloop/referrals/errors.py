"""Referral errors. The H5 ignores a refused ``?ref=`` silently (it is counted); the API and console show them."""

from weloop.core.errors import Conflict, NotFound, ValidationFailed


class UnknownReferralCode(NotFound):
    code = "referrals.unknown_code"
    message = "This referral link is not valid."


class SelfReferral(ValidationFailed):
    code = "referrals.self_referral"
    message = "You cannot refer yourself."


class ReferralLoop(ValidationFailed):
    code = "referrals.loop"
    message = "This referral would create a loop: the referrer was brought in by you or your friends."


class ReferrerNotInGoodStanding(ValidationFailed):
    code = "referrals.referrer_blocked"
    message = "This member cannot refer friends at the moment."


class AlreadyBound(Conflict):
    code = "referrals.already_bound"
    message = "This member was already referred by someone else; the first referral counts."


class ReferralsDisabled(ValidationFailed):
    code = "referrals.disabled"
    message = "Referrals are switched off for this shop."


class InvalidReferralSettings(ValidationFailed):
    code = "referrals.invalid_settings"
    message = "The referral settings are not valid."


class NothingToPay(ValidationFailed):
    code = "referrals.nothing_to_pay"
    message = "This referrer has no available commission to put on a statement (or their balance is negative)."


class StatementNotOpen(Conflict):
    code = "referrals.statement_not_open"
    message = "Only an open statement can be marked paid or voided."
