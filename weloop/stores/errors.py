from weloop.core.errors import ValidationFailed


class InvalidCoordinates(ValidationFailed):
    code = "stores.invalid_coordinates"
    message = "Latitude must be between -90 and 90 and longitude between -180 and 180."


class InvalidOpeningHours(ValidationFailed):
    code = "stores.invalid_opening_hours"
    message = "The opening hours are not valid."


class StoreNameTaken(ValidationFailed):
    code = "stores.name_taken"
    message = "Another store of yours already has this name."


class InvalidStore(ValidationFailed):
    code = "stores.invalid_store"
    message = "Some store fields are not valid."
