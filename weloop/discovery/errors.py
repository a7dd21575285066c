from weloop.core.errors import ValidationFailed


class InvalidRadius(ValidationFailed):
    code = "discovery.invalid_radius"
    message = "The radius must be a whole number of metres between 1 and 50000."


class InvalidLimit(ValidationFailed):
    code = "discovery.invalid_limit"
    message = "The limit must be a whole number between 1 and 50."
