from weloop.core.errors import Conflict, NotFound, ValidationFailed


class NotEligible(NotFound):
    code = "reviews.not_eligible"
    message = "Only a completed purchase, redeemed voucher or attended booking of yours can be reviewed."


class AlreadyReviewed(Conflict):
    code = "reviews.already_reviewed"
    message = "You have already reviewed this."


class InvalidReview(ValidationFailed):
    code = "reviews.invalid_review"
    message = "The review is not valid."


class InvalidPhoto(ValidationFailed):
    code = "reviews.invalid_photo"
    message = "A photo must be a JPEG, PNG or WebP image of at most 5 MB; at most 6 photos."


class ReasonRequired(ValidationFailed):
    code = "reviews.reason_required"
    message = "Give a reason (at most 200 characters)."
