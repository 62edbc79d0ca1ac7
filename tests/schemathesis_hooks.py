"""schemathesis hooks for tests/test_schemathesis.py (loaded through SCHEMATHESIS_HOOKS).

Three 422 answers depend on more than the request's shape, so no JSON Schema can predict them:
``invalid_phone`` (a number can match the pattern and still not exist in the shop's region, like
"00000" in GB), ``transaction_reference_reused`` (the reference was used before, by an earlier
generated request with another body) and ``invalid_cursor`` (a cursor is an opaque string the
server issued; any other string has the right shape and names no page). This check is
schemathesis' own positive_data_acceptance except for exactly those codes; every other
rejection of schema-valid data fails the run.
"""

import schemathesis
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

STATE_DEPENDENT = {"invalid_phone", "transaction_reference_reused", "invalid_cursor"}


@schemathesis.check
def positive_data_acceptance_but_state_dependent(ctx, response, case):
    if response.status_code == 422 and response.json().get("code") in STATE_DEPENDENT:
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
