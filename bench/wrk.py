"""Load with wrk (Debian's package): bounded runs, per-request Lua, counted unexpected statuses.

Each run gets a Lua script made of a ``request()`` for the scenario plus a common part that
counts responses outside the expected statuses in ``response()`` (per wrk thread) and prints one
machine-readable line in ``done()``. Latency figures are wrk's (``--latency``), in ms here.
"""

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

THREADS = 2  # one wrk thread per core of the development machine

COMMON = r"""
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  unexpected = 0
  run_id = args[1] or "run"
  thread_count = tonumber(args[2]) or 1
  customers = tonumber(args[3]) or 1
  first = tonumber(args[4]) or 0
end

-- The next customer number: consecutive requests of all threads go to different customers.
-- (For returns, the next earn: ``first`` skips those an earlier run returned.)
function next_customer()
  counter = counter + 1
  return (first + counter * thread_count + id) % customers
end

function response(status, headers, body)
  if not expected(status) then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local n, most = 0, 0
  for _, t in ipairs(threads) do
    n = n + t:get("unexpected")
    most = math.max(most, t:get("counter"))
  end
  local e = summary.errors
  io.write(string.format("BENCH_RESULT %d %d %d %d %d %d %d\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(99), n,
    e.connect + e.read + e.write + e.timeout, most))
end
"""

EXPECT_2XX = "function expected(status) return status >= 200 and status < 300 end\n"
EXPECT_304 = "function expected(status) return status == 304 end\n"
# The write scenarios' requests: JSON bodies, POSTed.
POST_JSON = 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'

# The scenarios' request() functions; customer numbers map to phones as bench/loader.py's.
LOOKUP = (
    EXPECT_2XX
    + r"""
function request()
  return wrk.format(nil, string.format("/api/loyalty/phone-lookup?phone=07900%06d",
    next_customer()))
end
"""
)

# Every redemption a new transaction_reference: <run>-<wrk thread>-<counter>.
REDEEM = (
    EXPECT_2XX
    + POST_JSON
    + r"""

function request()
  local n = next_customer()
  local body = string.format(
    '{"phone": "+447900%06d", "points": 1, "transaction_reference": "%s-%d-%d"}',
    n, run_id, id, counter)
  return wrk.format(nil, "/api/customer/loyalty/redeem", nil, body)
end
"""
)

# Earns at the till, as today's tills send them (the points) and from the bill (the programme
# computes them), each a new transaction_reference.
EARN = (
    EXPECT_2XX
    + POST_JSON
    + r"""

function request()
  local n = next_customer()
  local body = string.format(
    '{"phone": "+447900%06d", "points": 23, "transaction_reference": "%s-%d-%d"}',
    n, run_id, id, counter)
  return wrk.format(nil, "/api/customer/loyalty/earn", nil, body)
end
"""
)

EARN_FROM_BILL = (
    EXPECT_2XX
    + POST_JSON
    + r"""

function request()
  local n = next_customer()
  local body = string.format(
    '{"phone": "+447900%06d", "purchase": {"total_minor": 2350, "currency": "GBP", '
    .. '"excluded_minor": 0}, "transaction_reference": "%s-%d-%d"}',
    n, run_id, id, counter)
  return wrk.format(nil, "/api/customer/loyalty/earn", nil, body)
end
"""
)


# Toast terminals (POST /api/integrations/toast, Toast's headers and bodies): a paid check's
# LOYALTY_ACCRUE and a LOYALTY_REDEEM of the reward "off2" in turn, each to the next customer
# (identifier "bench-" + the loader's phone) under new GUIDs: <run>-<wrk thread>-<counter>.
# The key and Toast-Restaurant-External-ID come as wrk's -H headers.
TOAST = (
    EXPECT_2XX
    + POST_JSON
    + r"""

function request()
  local n = next_customer()
  local guid = string.format("%s-%d-%d", run_id, id, counter)
  local check = string.format('{"guid": "check-%s", "selections": [{"guid": "sel-%s", '
    .. '"price": 23.40, "tax": 0.0, "taxInclusion": "NOT_INCLUDED", "voided": false, '
    .. '"deferred": false}]}', guid, guid)
  local kind, extra = "LOYALTY_ACCRUE", ""
  if counter % 2 == 0 then
    kind = "LOYALTY_REDEEM"
    extra = string.format(', "redemptions": [{"identifier": "off2", '
      .. '"appliedDiscountGuid": "disc-%s", "amount": 2.00}]', guid)
  end
  local body = string.format('{"toastTransactionType": "%s", "checkTransactionInformation": '
    .. '{"loyaltyIdentifier": "bench-+447900%06d", "check": %s%s}}', kind, n, check, extra)
  local headers = {}  -- wrk.format takes these instead of wrk.headers (-H): both, then
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Toast-Transaction-Type"] = kind
  headers["Toast-Transaction-GUID"] = guid
  return wrk.format(nil, "/api/integrations/toast", headers, body)
end
"""
)

# The same work as TOAST through the POS API, its baseline: earn from a £23.40 bill and redeem
# 200 points in turn, each to the next customer, each a new transaction_reference.
TILL_LIKE_TOAST = (
    EXPECT_2XX
    + POST_JSON
    + r"""

function request()
  local n = next_customer()
  local reference = string.format("%s-%d-%d", run_id, id, counter)
  if counter % 2 == 0 then
    return wrk.format(nil, "/api/customer/loyalty/redeem", nil, string.format(
      '{"phone": "+447900%06d", "points": 200, "transaction_reference": "%s"}', n, reference))
  end
  return wrk.format(nil, "/api/customer/loyalty/earn", nil, string.format(
    '{"phone": "+447900%06d", "purchase": {"total_minor": 2340, "currency": "GBP", '
    .. '"excluded_minor": 0}, "transaction_reference": "%s"}', n, reference))
end
"""
)


def paced(scenario: str, mean_think_ms: int) -> str:
    """``scenario`` with a think time after each answer, drawn uniformly from 0 to twice
    ``mean_think_ms`` (each connection then sends as a terminal does: not back to back, and
    not all in step with each other)."""
    return scenario + (
        "\nfunction delay()\n  return math.random(0, " + str(2 * int(mean_think_ms)) + ")\nend\n"
    )


def returns(earn_prefix: str, returned_minor: int) -> str:
    """Returns at the till: each request returns ``returned_minor`` of a different earn, the
    one with reference ``<earn_prefix><n>`` (n from ``next_customer()``: pass the number of
    such earns as ``customers`` to ``run``), with a new transaction_reference of its own."""
    if not earn_prefix.replace("-", "").isalnum():
        raise ValueError("earn_prefix: letters, digits and dashes only (it goes into Lua)")
    return (
        EXPECT_2XX
        + POST_JSON
        + r"""

function request()
  local n = next_customer()
  local body = string.format('{"transaction_reference": "ret-%s-%d-%d", "returned_minor": """
        + str(int(returned_minor))
        + r"""}',
    run_id, id, counter)
  return wrk.format(nil, string.format("/api/customer/loyalty/earn/"""
        + earn_prefix
        + r"""%d/reverse", n), nil, body)
end
"""
    )


FIXED_2XX = EXPECT_2XX  # wrk's own request: the URL and -H headers, unchanged
FIXED_304 = EXPECT_304


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    unexpected: int  # responses outside the expected statuses (non-2xx, or not 304 for polls)
    socket_errors: int
    requests_made: int = 0  # request() calls of the busiest wrk thread (in flight ones too)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def available() -> bool:
    return shutil.which("wrk") is not None


def run(
    url: str,
    scenario: str,
    *,
    connections: int,
    seconds: int,
    headers: dict | None = None,
    run_id: str = "run",
    customers: int = 1,
    first: int = 0,
) -> Result:
    """One bounded wrk run (``seconds`` of load, a 10 s request timeout) against ``url``.

    ``customers`` is how many numbers ``next_customer()`` goes round (from ``first``);
    ``numbers_used(result)`` is where a next run should start to use none of them again."""
    threads = min(THREADS, connections)
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(scenario + COMMON)
        script.flush()
        command = ["wrk", "--latency", f"-t{threads}", f"-c{connections}", f"-d{seconds}s",
                   "--timeout", "10s", "-s", script.name]  # fmt: skip
        for name, value in (headers or {}).items():
            command += ["-H", f"{name}: {value}"]
        command += [url, "--", run_id, str(threads), str(customers), str(first)]
        output = subprocess.run(  # noqa: S603 (wrk, with arguments built here)
            command, capture_output=True, text=True, timeout=seconds + 30, check=True
        ).stdout
    match = re.search(r"^BENCH_RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", output, re.M)
    if not match:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    requests, micros, p50, p99, unexpected, errors, made = map(int, match.groups())
    return Result(requests, micros / 1e6, p50 / 1000, p99 / 1000, unexpected, errors, made)


def numbers_used(result: Result, connections: int) -> int:
    """How many numbers after ``first`` a run may have taken (``next_customer`` gives thread
    t its counter c's number ``first + c x threads + t``): the next run starts past them."""
    threads = min(THREADS, connections)
    return (result.requests_made + 1) * threads
