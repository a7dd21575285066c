"""Errors of loyalty: stable codes, messages a member, clerk or merchant can act on."""

from weloop.core.errors import Conflict, NotFound, ValidationFailed


class InsufficientPoints(Conflict):
    code = "loyalty.insufficient_points"
    message = "The member does not have enough points."


class InsufficientBalance(Conflict):
    code = "loyalty.insufficient_balance"
    message = "The stored-value balance is not enough for this payment."


class InvalidAmount(ValidationFailed):
    code = "loyalty.invalid_amount"
    message = "The amount must be a whole number above zero."


class ReasonRequired(ValidationFailed):
    code = "loyalty.reason_required"
    message = "Say why the points or balance are adjusted."


class AlreadySignedIn(Conflict):
    code = "loyalty.already_signed_in"
    message = "You already signed in today; come back tomorrow."


class InvalidLevel(ValidationFailed):
    code = "loyalty.invalid_level"
    message = "The level is not valid."


class InvalidSettings(ValidationFailed):
    code = "loyalty.invalid_settings"
    message = "The loyalty settings are not valid."


class UnknownLevel(NotFound):
    code = "loyalty.unknown_level"
    message = "No such level."


class InvalidCardCode(ValidationFailed):
    code = "loyalty.invalid_card_code"
    message = "This member card code is not valid or has expired; ask the member to refresh the card."
