from weloop.core.errors import NotFound, PermissionDenied, Unauthenticated, ValidationFailed, WeloopError


class UnknownMerchant(NotFound):
    code = "tenants.unknown_merchant"
    message = "No merchant with this address exists."


class MerchantSuspended(WeloopError):
    code = "tenants.merchant_suspended"
    status = 403
    message = "This merchant is suspended; contact the platform operator."


class MerchantNotActive(WeloopError):
    code = "tenants.merchant_not_active"
    status = 403
    message = "This merchant is not active yet; it is waiting for the platform's approval."


class SlugTaken(ValidationFailed):
    code = "tenants.slug_taken"
    message = "This slug is already used by another merchant."


class InvalidSlug(ValidationFailed):
    code = "tenants.invalid_slug"
    message = "A slug is 3-40 lowercase letters, digits and hyphens, starting with a letter."


class InvalidApiKey(Unauthenticated):
    code = "auth.invalid_api_key"
    message = "The API key is missing, wrong or revoked."


class NotStaff(PermissionDenied):
    code = "tenants.not_staff"
    message = "Your login is not a staff member of any active merchant."


class RoleForbidden(PermissionDenied):
    code = "tenants.role_forbidden"
    message = "Your role does not allow this."


class UsernameTaken(ValidationFailed):
    code = "tenants.username_taken"
    message = "This login name is already taken."


class WrongPassword(ValidationFailed):
    code = "tenants.wrong_password"
    message = "The current password is wrong."


class WeakPassword(ValidationFailed):
    code = "tenants.weak_password"
    message = "The new password is too weak."


class CannotDeactivateSelf(ValidationFailed):
    code = "tenants.cannot_deactivate_self"
    message = "You cannot deactivate your own access."


class InvalidWechatCredentials(ValidationFailed):
    code = "tenants.invalid_wechat_credentials"
    message = "The WeChat credentials are not valid."
