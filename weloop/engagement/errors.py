from weloop.core.errors import Conflict, ValidationFailed


class InvalidEvent(ValidationFailed):
    code = "engagement.invalid_event"
    message = "The event is not valid."


class SignupClosed(Conflict):
    code = "engagement.signup_closed"
    message = "Sign-up for this event is not open."


class EventFull(Conflict):
    code = "engagement.event_full"
    message = "This event is full."


class InvalidAnswers(ValidationFailed):
    code = "engagement.invalid_answers"
    message = "Some answers are not valid."


class NotSignedUp(Conflict):
    code = "engagement.not_signed_up"
    message = "This member has not signed up for the event."


class InvalidCheckinCode(ValidationFailed):
    code = "engagement.invalid_checkin_code"
    message = "This check-in code is not valid for any sign-up."


class CheckinNotOpen(Conflict):
    code = "engagement.checkin_not_open"
    message = "Check-in is only possible for a published event, from two hours before it starts until it ends."


class AlreadyCheckedIn(Conflict):
    code = "engagement.already_checked_in"
    message = "Already checked in."


class InvalidSurvey(ValidationFailed):
    code = "engagement.invalid_survey"
    message = "The survey is not valid."


class SurveyLocked(Conflict):
    code = "engagement.survey_locked"
    message = "The questions of a survey that has responses cannot be changed."


class SurveyNotOpen(Conflict):
    code = "engagement.survey_not_open"
    message = "This survey is not open."
