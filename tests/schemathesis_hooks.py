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
)


def _beyond_schema(body: dict) -> bool:
    messages = [m for field in (body.get("errors") or {}).values() for m in field]
    return (
        body.get("code") == "validation_error"
        and bool(messages)
        and all(m in BEYOND_SCHEMA for m in messages)
    )


@schemathesis.check
def positive_data_acceptance_but_state_dependent(ctx, response, case):
    if response.status_code == 422:
        body = response.json()
        if body.get("code") in STATE_DEPENDENT or _beyond_schema(body):
            return None
    return positive_data_acceptance(ctx, response, case)


@schemathesis.check
def negative_data_rejection_or_uri_too_long(ctx, response, case):
    """schemathesis' negative_data_rejection, with 414 uri_too_long counted as a rejection: a
    request line beyond 4096 bytes is refused before its parameters are read (documented on
    every operation). Seen once a stateful sequence grew a cursor and a name that long."""
    if response.status_code == 414:
        return None
    return negative_data_rejection(ctx, response, case)
