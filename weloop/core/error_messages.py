"""Error messages listed so makemessages extracts them. Generated: do not edit by hand.

weloop/core/rendering.py translates an error's message when it renders the page
(``gettext(error.detail)``), but the messages themselves (``message = "..."`` on WeloopError
subclasses, literals passed when an error is raised) are not wrapped in gettext. Listing them here
as ``gettext_noop`` puts them in weloop/locale/*/django.po. Nothing imports this module at run time.
Regenerate with ``make messages`` (it runs weloop/locale/collect_error_messages.py).
It lives outside weloop/locale/ because makemessages skips every directory named "locale".
"""

from django.utils.translation import gettext_noop

MESSAGES = (
    # weloop/api/auth.py
    gettext_noop("Send the header Authorization: Bearer <api key>."),
    # weloop/api/errors.py
    gettext_noop("The request body is not valid JSON."),
    gettext_noop("Some fields of the request are missing or have the wrong type."),
    gettext_noop("This HTTP method is not allowed here."),
    gettext_noop("Too many requests; slow down and retry later."),
    gettext_noop("An Idempotency-Key is 1 to 255 characters long."),
    gettext_noop("This Idempotency-Key was already used for a different request; use a new key."),
    gettext_noop("A request with this Idempotency-Key is still being processed; retry in a moment."),
    gettext_noop("Something went wrong on our side; it has been logged."),
    gettext_noop("Text must not contain the NUL character (\\u0000)."),
    # weloop/catalog/calculations.py
    gettext_noop("description is longer than 5000 characters."),
    gettext_noop("A SKU code is 1 to 64 letters, digits, dots, dashes, underscores or slashes."),
    gettext_noop("Option names are a list."),
    gettext_noop("Option names must differ."),
    gettext_noop("The list price cannot be below the price."),
    gettext_noop("The weight is a whole number of grams."),
    gettext_noop("Write options as name=value pairs separated by ';'."),
    # weloop/catalog/csv_format.py
    gettext_noop("The file is neither UTF-8 nor GB18030 text."),
    gettext_noop("Write yes or no."),
    gettext_noop("The file is empty."),
    gettext_noop("The price is required."),
    gettext_noop("Stock is a whole number of units, 0 or more."),
    # weloop/catalog/errors.py
    gettext_noop("Some product fields are not valid."),
    gettext_noop("Another product of yours already has this name."),
    gettext_noop("Products of this kind cannot be created yet."),
    gettext_noop("A product needs at least one active SKU before it goes on sale."),
    gettext_noop("The option names cannot change while the product has SKUs."),
    gettext_noop("Some SKU fields are not valid."),
    gettext_noop("A SKU must give exactly one value for each option of its product."),
    gettext_noop("Another SKU of yours already has this code."),
    gettext_noop("The product already has a SKU with these option values."),
    gettext_noop("The category is not valid."),
    gettext_noop("This category already has a sub-category with this name."),
    gettext_noop("The category still has products or sub-categories."),
    gettext_noop("An image is a PNG, JPEG, GIF or WebP file of at most 5 MB, or an http(s) URL."),
    gettext_noop("The file is not a catalog CSV that can be imported."),
    gettext_noop("Some rows are not valid; nothing was imported."),
    # weloop/catalog/services.py
    gettext_noop("The position is a whole number."),
    gettext_noop("Unknown product kind."),
    gettext_noop("A physical product needs home delivery, pickup in store, or both."),
    gettext_noop("Give either an image URL or a file."),
    gettext_noop("No such store."),
    gettext_noop("A category cannot move under itself."),
    gettext_noop("A virtual product is delivered as a code, not shipped or picked up."),
    # weloop/core/errors.py
    gettext_noop("The request could not be processed."),
    gettext_noop("Not found."),
    gettext_noop("You are not allowed to do this."),
    gettext_noop("Some fields are not valid."),
    gettext_noop("The request conflicts with the current state."),
    gettext_noop("This change of status is not allowed."),
    gettext_noop("Somebody else changed this at the same moment; reload and try again."),
    gettext_noop("The request body is too large."),
    gettext_noop("The form expired or came from another site; reload the page and try again."),
    gettext_noop("Authentication is required."),
    # weloop/core/money.py
    gettext_noop("The amount is not a valid, non-negative amount of money."),
    # weloop/core/views.py
    gettext_noop("The request is malformed."),
    gettext_noop("This page does not exist."),
    # weloop/dashboard/views/home.py
    gettext_noop("No such merchant."),
    # weloop/dashboard/views/qrcodes.py
    gettext_noop("This QR code has no content to draw."),
    # weloop/dashboard/views/stores.py
    gettext_noop("Weekday must be 0 (Monday) to 6 (Sunday)."),
    gettext_noop("Give the date as YYYY-MM-DD."),
    # weloop/dashboard/views/wechat.py
    gettext_noop("No such secret."),
    # weloop/inventory/calculations.py
    gettext_noop("A subject is '<type>:<id>', e.g. 'sku:sku_8ZK2M4Q7PX'."),
    # weloop/inventory/combining.py
    gettext_noop("A claim needs a buyer key of 1 to 100 characters."),
    # weloop/inventory/errors.py
    gettext_noop("A quantity is a positive whole number."),
    gettext_noop("Not enough left."),
    gettext_noop("Capacity cannot go below the units already held or sold."),
    gettext_noop("More units would come back than were ever sold from this pool."),
    gettext_noop("This reservation has expired or was released."),
    gettext_noop("This reservation was confirmed; return the units instead of releasing them."),
    gettext_noop("You have already claimed this offer."),
    gettext_noop("That is more than one buyer may claim."),
    gettext_noop("The capacity pool is not valid."),
    gettext_noop("The location is not valid."),
    gettext_noop("Another location of yours already has this name."),
    gettext_noop("The sale is not taking claims right now; try again."),
    gettext_noop("A reservation must expire at a moment in the future."),
    # weloop/inventory/services.py
    gettext_noop("A location name is 1 to 80 characters."),
    gettext_noop("A store location names its store; a warehouse names none."),
    gettext_noop("Hold at least one line."),
    gettext_noop("No such capacity pool."),
    gettext_noop("The capacity would be too large."),
    # weloop/members/errors.py
    gettext_noop("The QR code settings are not valid."),
    gettext_noop("Some member profile fields are not valid."),
    gettext_noop("Connect a WeChat service account first."),
    # weloop/members/services.py
    gettext_noop("An openid is 1 to 64 characters."),
    gettext_noop("Unknown member source."),
    gettext_noop("Unknown touch kind."),
    gettext_noop("The avatar must be an http(s) URL."),
    gettext_noop("This is not a phone number."),
    gettext_noop("Choose store, guide or channel."),
    gettext_noop("A channel name is at most 64 characters."),
    gettext_noop("A store QR code needs a store."),
    gettext_noop("A guide QR code needs a staff member."),
    gettext_noop("A channel QR code needs a channel name."),
    gettext_noop("This staff member is deactivated."),
    # weloop/messaging/errors.py
    gettext_noop("The reply is not valid."),
    gettext_noop("The auto-reply rule is not valid."),
    gettext_noop("Another rule already answers this keyword the same way."),
    # weloop/messaging/services.py
    gettext_noop("A reply is a text or an article."),
    gettext_noop("An article needs a title of at most 64 characters."),
    gettext_noop("An article description is at most 120 characters."),
    gettext_noop("An article needs an http(s) link."),
    gettext_noop("The picture must be an http(s) URL."),
    gettext_noop("A keyword is 1 to 60 characters."),
    gettext_noop("Match exactly or by containing."),
    gettext_noop("Unknown outbound status."),
    gettext_noop("Write the reply text."),
    gettext_noop("A text reply is at most 2048 bytes (a Chinese character counts 3)."),
    # weloop/payments/errors.py
    gettext_noop("The WeChat Pay settings are not valid."),
    gettext_noop("WeChat Pay is not set up for this merchant."),
    gettext_noop("Connect a WeChat service account first: WeChat Pay is bound to its appid."),
    gettext_noop("The payment is not valid."),
    gettext_noop("This order has already been paid."),
    gettext_noop("This payment can no longer be paid."),
    gettext_noop("Only a paid payment can be refunded."),
    gettext_noop("The refund is not valid."),
    gettext_noop("The refund is larger than what is left to refund on this payment."),
    gettext_noop("A payment can be refunded at most 50 times."),
    gettext_noop("This refund number was already used for another refund."),
    # weloop/payments/services/pay_settings.py
    gettext_noop("This merchant already has a real WeChat Pay account; it is not replaced by a simulated one."),
    # weloop/payments/services/payments.py
    gettext_noop("The amount must be more than 0."),
    gettext_noop("The order number is 6 to 32 letters, digits, _ - | or *."),
    gettext_noop("The description is 1 to 127 characters."),
    gettext_noop("A JSAPI payment needs the payer's openid."),
    gettext_noop("The attribution is a small object of ids."),
    gettext_noop("The attribution maps names to ids."),
    gettext_noop("The payment deadline must be a moment in the future."),
    gettext_noop("No such payment."),
    gettext_noop("Start a WeChat payment with wechat_jsapi or wechat_native."),
    gettext_noop("Use offline_cash, offline_card or offline_other."),
    gettext_noop("No such staff member."),
    gettext_noop("The note is at most 200 characters."),
    # weloop/payments/services/refunds.py
    gettext_noop("A refund is more than 0."),
    gettext_noop("The reason is at most 80 characters."),
    gettext_noop("The refund number is 1 to 64 letters, digits, _ - | * or @."),
    gettext_noop("No such refund."),
    # weloop/simulator/errors.py
    gettext_noop("The phone cannot do that now."),
    # weloop/simulator/pay_server.py
    gettext_noop("package must be prepay_id=…"),
    gettext_noop("Unknown prepay_id"),
    gettext_noop("appId does not match the order"),
    gettext_noop("timeStamp must be a string of 10 digits (seconds)"),
    gettext_noop("signType must be RSA"),
    gettext_noop("paySign invalid"),
    gettext_noop("prepay_id expired"),
    gettext_noop("This QR code is not a WeChat Pay order"),
    gettext_noop("This QR code has expired"),
    gettext_noop("This order has been paid"),
    gettext_noop("This order is closed"),
    gettext_noop("This order has expired"),
    gettext_noop("This order has been paid or closed"),
    # weloop/storefront/identity.py
    gettext_noop("This sign-in link is not valid or has expired. Please try again."),
    gettext_noop("You did not allow the shop to see your WeChat profile, which this page needs."),
    gettext_noop("WeChat did not accept this sign-in (it may have been used already). Please try again."),
    gettext_noop("Open this page in WeChat itself (not the preview) to continue."),
    # weloop/storefront/member_views.py
    gettext_noop("The page URL must be on this site."),
    # weloop/stores/calculations.py
    gettext_noop("A period must not start and end at the same time."),
    gettext_noop("Two opening periods overlap."),
    # weloop/stores/errors.py
    gettext_noop("Latitude must be between -90 and 90 and longitude between -180 and 180."),
    gettext_noop("The opening hours are not valid."),
    gettext_noop("Another store of yours already has this name."),
    gettext_noop("Some store fields are not valid."),
    # weloop/stores/services.py
    gettext_noop("The phone number may contain digits, spaces, +, - and brackets."),
    gettext_noop("Unknown store in the assignment."),
    gettext_noop("Special hours need an opening and a closing time."),
    # weloop/tenants/access.py
    gettext_noop("Only platform operators may open the platform console."),
    # weloop/tenants/errors.py
    gettext_noop("No merchant with this address exists."),
    gettext_noop("This merchant is suspended; contact the platform operator."),
    gettext_noop("This merchant is not active yet; it is waiting for the platform's approval."),
    gettext_noop("This slug is already used by another merchant."),
    gettext_noop("A slug is 3-40 lowercase letters, digits and hyphens, starting with a letter."),
    gettext_noop("The API key is missing, wrong or revoked."),
    gettext_noop("Your login is not a staff member of any active merchant."),
    gettext_noop("Your role does not allow this."),
    gettext_noop("This login name is already taken."),
    gettext_noop("The current password is wrong."),
    gettext_noop("The new password is too weak."),
    gettext_noop("You cannot deactivate your own access."),
    gettext_noop("The WeChat credentials are not valid."),
    # weloop/tenants/services.py
    gettext_noop("A merchant needs a name."),
    gettext_noop("message_mode must be plaintext, compatible or safe."),
    # weloop/wechat/crypto.py
    gettext_noop("The msg_signature does not match."),
    gettext_noop("The reply's MsgSignature does not match."),
    gettext_noop("Safe mode was announced but the body has no Encrypt element."),
    # weloop/wechat/errors.py
    gettext_noop("The WeChat signature does not match."),
    gettext_noop("The encrypted WeChat payload could not be decrypted."),
    gettext_noop("The encrypted WeChat payload was sealed for another appid."),
    gettext_noop("The WeChat XML is malformed."),
    gettext_noop("The custom menu is not valid."),
    gettext_noop("The request breaks a WeChat limit."),
    gettext_noop("WeChat refused the request."),
    gettext_noop("WeChat is not reachable at the moment; try again later."),
    # weloop/wechat/messages.py
    gettext_noop("ToUserName, FromUserName, CreateTime and MsgType are required."),
    # weloop/wechat/pay.py
    gettext_noop("out_trade_no is 6 to 32 characters of 0-9 A-Z a-z _ - | *."),
    gettext_noop("out_refund_no is 1 to 64 characters of 0-9 A-Z a-z _ - | * @."),
    gettext_noop("The notification has no resource."),
    gettext_noop("The notification resource is incomplete."),
    gettext_noop("The notification resource is not a JSON object."),
    gettext_noop("payer_openid is required (at most 128 characters)."),
    gettext_noop("prepay_id is required."),
    gettext_noop("transaction_id must be WeChat Pay's order number."),
    gettext_noop("The refund cannot exceed the order total."),
    gettext_noop("notify_url must be an https:// URL of at most 255 characters."),
    gettext_noop("notify_url cannot carry a query string."),
    gettext_noop("time_expire must be an aware datetime."),
    gettext_noop("WeChat Pay did not answer in time."),
    gettext_noop("WeChat Pay answered something that is not a JSON object."),
    # weloop/wechat/pay_crypto.py
    gettext_noop("The APIv3 key must be exactly 32 ASCII characters."),
    gettext_noop("The Authorization header is missing or not WECHATPAY2-SHA256-RSA2048."),
    gettext_noop("The request signature does not match the merchant's public key."),
    gettext_noop("The WeChat Pay signature headers are missing."),
    gettext_noop("Wechatpay-Serial is not our platform public key id."),
    gettext_noop("Not an unencrypted RSA private key (PEM) of 2048 bits or more."),
    gettext_noop("Not an RSA public key (PEM) of 2048 bits or more."),
    gettext_noop("The WeChat Pay timestamp is not a number of seconds."),
    gettext_noop("The Authorization header is malformed."),
    # weloop/wechat/pay_errors.py
    gettext_noop("WeChat Pay refused the request."),
    gettext_noop("WeChat Pay is not reachable at the moment; try again later."),
    gettext_noop("The WeChat Pay signature does not match."),
    gettext_noop("The WeChat Pay timestamp is too old or in the future."),
    gettext_noop("The WeChat Pay notification could not be decrypted."),
    gettext_noop("The payment request is not valid."),
    gettext_noop("The WeChat Pay credentials are not valid."),
    # weloop/wechat/safexml.py
    gettext_noop("DTDs and entity declarations are not accepted."),
    gettext_noop("The root element must be <xml>."),
    gettext_noop("The <xml> element must contain elements."),
    gettext_noop("The XML is not UTF-8."),
    # weloop/wechat/transport.py
    gettext_noop("WeChat answered something that is not a JSON object."),
    gettext_noop("WeChat did not answer in time."),
)
