"""schemathesis hooks for tests/test_schemathesis.py (loaded through SCHEMATHESIS_HOOKS).

Some 422 answers depend on more than the request's shape, so no JSON Schema can predict them.
State: ``currency_mismatch`` and ``no_earn_rule`` (the shop's programme as it is now). Rules
across fields, which OpenAPI 3.0's JSON Schema cannot state: exactly one of ``points`` and
``purchase``; ``excluded_minor`` at most ``total_minor``; a report's ``from`` not after ``to``
and at most 366 days; and a timezone that is in the IANA database (checked against the
server's own, not published as a 600-name enum). And three more:
``invalid_phone`` (a number can match the pattern and still not exist in the shop's region, like
"00000" in GB), ``transaction_reference_reused`` (the reference was used before, by an earlier
generated request with another body) and ``invalid_cursor`` (a cursor is an opaque string the
server issued; any other string has the right shape and names no page). This check is
schemathesis' own positive_data_acceptance except for exactly those codes; every other
rejection of schema-valid data fails the run.
"""

import schemathesis
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

STATE_DEPENDENT = {
    "invalid_phone",
    "transaction_reference_reused",
    "invalid_cursor",
    "currency_mismatch",
    "no_earn_rule",
    # a member import's CSV: its header and encoding are beyond what a string schema states
    "import_file_refused",
}
# validation_error messages of the rules across fields (and beyond the schema) listed above.
BEYOND_SCHEMA = (
    "Send exactly one of points and purchase.",
    "Must not be more than total_minor.",
    "Must not be after to.",
    "A report covers at most 366 days.",
    "Must be an IANA time zone name such as Europe/London.",
    # the transaction reversed is an earn or a redemption: which, only the server knows
    "A purchase is returned by money (returned_minor).",
    "A redemption is reversed by points.",
    "Another reward has this id.",  # rewards' ids are unique in the list (issue 20)
)


def _beyond_schema(body: dict) -> bool:
    messages = [m for field in (body.get("errors") or {}).values() for m in field]
    return (
        body.get("code") == "validation_error"
        and bool(messages)
        and all(m in BEYOND_SCHEMA for m in messages)
    )


# ---- issue 20: Toast's endpoint answers Toast's way (transactionStatus, not problem+json) ----
# Its own run holds a Toast key and restaurant (tests/test_schemathesis.py). What its 400/404
# may say of valid
# data depends on state (no such account, transaction, identifier) or on rules across the
# header and the body (the information object of the header's type), as the 422s above.
TOAST_PATH = "/api/integrations/toast"
TOAST_STATE_DEPENDENT = {
    "ERROR_ACCOUNT_INVALID",
    "ERROR_ALREADY_REGISTERED",
    "ERROR_TRANSACTION_DOES_NOT_EXIST",
    "ERROR_TRANSACTION_CANNOT_BE_REVERSED",
    "ERROR_INVALID_TRANSFER",
}
TOAST_BEYOND_SCHEMA = (
    "needs ",  # "A LOYALTY_X needs xTransactionInformation."
    "toastTransactionType differs from Toast-Transaction-Type.",
    "searchCriteria._schema: Send a phone, an e-mail, or a first or last name.",
    "signupTransactionInformation._schema: Send exactly one of phone and email.",
    "searchCriteria.phone: ",  # a number of the right shape that no region has
    "signupTransactionInformation.phone: ",
    "signupTransactionInformation.email: ",
    "checkTransactionInformation.loyaltyIdentifier is required.",
)


def _is_toast(case) -> bool:
    return case.operation.path == TOAST_PATH


@schemathesis.hook
def filter_failure(ctx, failure, case, response):
    """Toast's contract answers a missing or wrong key 400 ERROR_INVALID_TOKEN, not 401."""
    if _is_toast(case) and getattr(failure, "code", None) == "ST203":
        try:
            return response.json().get("transactionStatus") != "ERROR_INVALID_TOKEN"
        except ValueError:
            return True
    return True


def _toast_refusal_of_valid_data(response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    status = body.get("transactionStatus")
    if status in TOAST_STATE_DEPENDENT:
        return True
    message = (body.get("message") or "").removeprefix("Invalid fields: ")
    parts = message.split("; ")
    return status == "ERROR_INVALID_INPUT_PROPERTIES" and all(
        any(marker in part for marker in TOAST_BEYOND_SCHEMA) for part in parts
    )


@schemathesis.check
def positive_data_acceptance_but_state_dependent(ctx, response, case):
    toast_refusal = _is_toast(case) and response.status_code in (400, 404)
    if toast_refusal and _toast_refusal_of_valid_data(response):
        return None
    if response.status_code == 422:
        body = response.json()
        if body.get("code") in STATE_DEPENDENT or _beyond_schema(body):
            return None
        if _refused_for_what_no_pattern_names(response):
            return None
    return positive_data_acceptance(ctx, response, case)


def _refused_for_what_no_pattern_names(response) -> bool:
    """A transaction_reference refused for an unassigned code point (any plane) or an
    invisible one beyond the BMP (issue 19, item 9): the published pattern names the BMP's
    invisible characters only, since no pattern OpenAPI clients share (ECMA-262 without the
    u flag) can name the other planes, and which code points are unassigned changes with
    each Unicode version. Any other field refused fails the run as before."""
    import json
    import unicodedata

    errors = response.json().get("errors") or {}
    if set(errors) != {"transaction_reference"}:
        return False
    try:
        reference = json.loads(response.request.body)["transaction_reference"]
    except (ValueError, TypeError, KeyError):
        return False
    return isinstance(reference, str) and any(
        unicodedata.category(c) == "Cn"
        or (ord(c) > 0xFFFF and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp"))
        for c in reference
    )


@schemathesis.check
def negative_data_rejection_or_uri_too_long(ctx, response, case):
    """schemathesis' negative_data_rejection, with 414 uri_too_long counted as a rejection: a
    request line beyond 4096 bytes is refused before its parameters are read (documented on
    every operation). Seen once a stateful sequence grew a cursor and a name that long."""
    if response.status_code == 414:
        return None
    return negative_data_rejection(ctx, response, case)


# ---- issue 19: what the hostile requests found, checked on every generated case ----------
# Each check sends one variant of the generated request (same URL, credentials and body) and
# expects the refusal the API documents. They run only where the original request was read
# (not refused for its credentials, rate or size, and the server was well).

import base64  # noqa: E402
import json  # noqa: E402
from urllib.parse import urlencode, urlsplit  # noqa: E402

import requests  # noqa: E402

UNREAD = {401, 404, 405, 413, 414, 415, 429, 503}  # never routed or read
FORGED_CURSORS = ['["2026-01-01T00:00:00", Infinity]', '[{"a": 1}, 1]', "[[1], 1]"]


def _variant(response, *, url=None, body=None):
    request = response.request
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    data = body if body is not None else request.body
    return requests.request(request.method, url or request.url, headers=headers, data=data,
                            timeout=10)  # fmt: skip


def _problem_code(response) -> str | None:
    try:
        return response.json().get("code")
    except ValueError:
        return None


@schemathesis.check
def duplicate_json_keys_are_refused(ctx, response, case):
    body = response.request.body
    if response.request.method not in ("POST", "PUT", "PATCH") or not body:
        return None
    if not response.request.headers.get("Content-Type", "").startswith("application/json"):
        return None  # a CSV body (the member import) is text, whatever it looks like
    if response.status_code in UNREAD or response.status_code >= 500:
        return None
    try:
        data = json.loads(body)
    except (ValueError, TypeError):
        return None
    if not isinstance(data, dict) or not data:
        return None
    name = next(iter(data))
    text = body.decode() if isinstance(body, bytes) else body
    doubled = "{" + json.dumps(name) + ": null, " + text.lstrip()[1:]
    answer = _variant(response, body=doubled.encode())
    if _is_toast(case):  # Toast's answers: a refusal is 400 with Toast's code, never 2xx
        toast_status = (answer.json() or {}).get("transactionStatus", "")
        if answer.status_code != 400 or not toast_status.startswith("ERROR_"):
            raise AssertionError(f"a body naming {name!r} twice got {answer.status_code}")
        return None
    if answer.status_code != 400 or _problem_code(answer) != "malformed_json":
        raise AssertionError(f"a body naming {name!r} twice got {answer.status_code}")
    return None


@schemathesis.check
def unknown_query_parameters_are_refused(ctx, response, case):
    request = response.request
    if request.method != "GET" or response.status_code in UNREAD:
        return None
    if response.status_code >= 500 or not getattr(case.operation, "query", None):
        return None
    separator = "&" if urlsplit(request.url).query else "?"
    answer = _variant(response, url=request.url + separator + "zz_unknown=1")
    if answer.status_code != 422:
        raise AssertionError(f"an unknown query parameter got {answer.status_code}")
    return None


@schemathesis.check
def forged_cursors_are_refused(ctx, response, case):
    request = response.request
    if request.method != "GET" or urlsplit(request.url).path != "/api/admin/customers":
        return None
    if response.status_code != 200:
        return None
    base = request.url.split("?", 1)[0]
    for key in FORGED_CURSORS:
        raw = f'{{"k":"recent","a":{key}}}'.encode()
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        answer = _variant(response, url=f"{base}?{urlencode({'cursor': cursor})}")
        if answer.status_code != 422 or _problem_code(answer) != "invalid_cursor":
            raise AssertionError(f"a forged cursor {key} got {answer.status_code}")
    return None
