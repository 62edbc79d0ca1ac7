"""The domain's exceptions: what callers of the domain and store functions must handle.

No Flask here: ``errors.py`` maps each to its HTTP problem in one place. Each client-facing
error carries its status, stable ``code`` and title as data; the mapping only reads them.
"""


class LoyaltyError(Exception):
    """Base of the errors a client can cause or must be told about; each has a stable code."""

    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, detail: str, **extra):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class Unauthorized(LoyaltyError):
    status, code, title = 401, "unauthorized", "Missing or invalid credentials"


class CustomerNotFound(LoyaltyError):
    status, code, title = 404, "customer_not_found", "Customer not found"


class TransactionNotFound(LoyaltyError):
    status, code, title = 404, "transaction_not_found", "Transaction not found"


class InsufficientPoints(LoyaltyError):
    status, code, title = 409, "insufficient_points", "Not enough points"


class ReversalExceedsRedemption(LoyaltyError):
    status, code, title = 409, "reversal_exceeds_redemption", "Reversal larger than what is left"


class ReversalExceedsEarn(LoyaltyError):
    status, code, title = 409, "reversal_exceeds_earn", "Return larger than what is left"


class CurrencyMismatch(LoyaltyError):
    status, code, title = 422, "currency_mismatch", "Currency differs from the programme's"


class NoEarnRule(LoyaltyError):
    status, code, title = 422, "no_earn_rule", "The programme earns no points from a bill"


class InvalidField(LoyaltyError):
    """A field the schema accepts, refused by what the request is about (``field``)."""

    status, code, title = 422, "validation_error", "Invalid request"

    def __init__(self, field: str, message: str):
        super().__init__(f"Invalid fields: {field}: {message}", errors={field: [message]})


class LocationExists(LoyaltyError):
    status, code, title = 409, "location_exists", "Location code in use"


class LocationNotFound(LoyaltyError):
    status, code, title = 404, "location_not_found", "Location not found"


class CustomerExists(LoyaltyError):
    status, code, title = 409, "customer_exists", "Customer already enrolled"


class InvalidPhone(LoyaltyError):
    status, code, title = 422, "invalid_phone", "Invalid phone number"


class TransactionReferenceReused(LoyaltyError):
    status, code, title = 422, "transaction_reference_reused", "Transaction reference reused"


class InvalidCursor(LoyaltyError):
    status, code, title = 422, "invalid_cursor", "Invalid page cursor"


class SignInBusy(LoyaltyError):
    """Password checks are all taken (each costs ~100 ms of CPU); retry in a second."""

    status, code, title = 503, "sign_in_busy", "Sign-in busy"
    retry_after = 1


class TenantNotFound(LoyaltyError):
    """Raised by the CLI; never reaches HTTP clients (tenants come from credentials)."""

    status, code, title = 404, "tenant_not_found", "Tenant not found"


class RetryableConflict(Exception):
    """A concurrent transaction won a race; running the whole transaction again resolves it."""


class DatabaseBusy(Exception):
    """The transaction kept losing lock races and was given up; nothing was changed."""


class DatabaseUnavailable(Exception):
    """The database could not be reached, or the connection failed before COMMIT was sent.

    Certain to have changed nothing: an uncommitted transaction dies with its connection.
    """


class OutcomeUnknown(Exception):
    """The connection failed while COMMIT was under way: the change may or may not be stored.

    Only a retry with the same transaction_reference tells (it replays a stored change).
    """


class RateLimited(LoyaltyError):
    """Too many wrong attempts from this client address; ``retry_after`` seconds to wait."""

    status, code, title = 429, "rate_limited", "Too many requests"

    def __init__(self, detail: str, retry_after: int):
        super().__init__(detail)
        self.retry_after = retry_after


class ImportFileRefused(LoyaltyError):
    """A member import's file cannot be read as a whole (no phone column, an unknown column,
    not UTF-8, more rows than taken); ``detail`` says where (``line 1: ...``)."""

    status, code, title = 422, "import_file_refused", "Import file refused"
