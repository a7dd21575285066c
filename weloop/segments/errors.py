"""Errors of segments: each with a stable code and a message that says what to fix."""

from weloop.core.errors import NotFound, ValidationFailed


class InvalidExpression(ValidationFailed):
    code = "segments.invalid_expression"
    message = "The segment expression is not valid."


class UnknownTag(ValidationFailed):
    code = "segments.unknown_tag"
    message = "The expression names a tag that does not exist."


class InvalidSegment(ValidationFailed):
    code = "segments.invalid_segment"
    message = "The segment is not valid."


class SegmentNotFound(NotFound):
    code = "segments.not_found"
    message = "No segment has this id."
