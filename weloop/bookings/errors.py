"""Errors of bookings: each with a stable code and a message staff and members can act on."""

from weloop.core.errors import Conflict, ValidationFailed


class InvalidService(ValidationFailed):
    code = "bookings.invalid_service"
    message = "The service is not valid."


class InvalidResource(ValidationFailed):
    code = "bookings.invalid_resource"
    message = "The resource is not valid."


class InvalidSchedule(ValidationFailed):
    code = "bookings.invalid_schedule"
    message = "The schedule is not valid: use HH:MM and end after the start."


class ScheduleOverlap(ValidationFailed):
    code = "bookings.schedule_overlap"
    message = "Two periods of this resource's schedule overlap: a resource cannot be in two places at once."


class InvalidSlot(ValidationFailed):
    code = "bookings.invalid_slot"
    message = "This time is not a bookable slot of the resource."


class OutsideOpeningHours(ValidationFailed):
    code = "bookings.outside_opening_hours"
    message = "The store is not open for the whole of this booking."


class SlotFull(Conflict):
    code = "bookings.slot_full"
    message = "This time slot is fully booked: choose another time."


class SlotInPast(ValidationFailed):
    code = "bookings.slot_in_past"
    message = "This time has already passed."


class BookingNotChangeable(Conflict):
    code = "bookings.not_changeable"
    message = "This booking can no longer be changed."


class InvalidLead(ValidationFailed):
    code = "bookings.invalid_lead"
    message = "The lead is not valid."


class InvalidReservation(ValidationFailed):
    code = "bookings.invalid_reservation"
    message = "The reservation is not valid."


class NotEnoughStock(Conflict):
    code = "bookings.not_enough_stock"
    message = "The store does not have enough of this item to reserve."
