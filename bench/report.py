"""The bench's printed table: each load's figures, then the ratios against their baselines."""

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Load:
    label: str
    connections: int
    rate: float  # requests (or transactions) per second
    p50_ms: float
    p99_ms: float
    unexpected: int | None = None  # non-2xx (polls: not 304); None where not counted


@dataclass(frozen=True)
class Ratio:
    label: str
    service: Load
    baseline: Load
    target: float
    rounds: tuple[float, ...] = ()  # every round's ratio, when the comparison was repeated

    @property
    def value(self) -> float:
        return self.service.rate / self.baseline.rate if self.baseline.rate else 0.0

    @property
    def verdict(self) -> str:
        return "PASS" if self.value >= self.target else "BELOW"


def print_loads(loads: list[Load]) -> None:
    print(f"{'load':<44} {'conns':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'bad':>5}")
    for load in loads:
        bad = "" if load.unexpected is None else str(load.unexpected)
        print(f"{load.label:<44} {load.connections:>5} {load.rate:>8,.0f} "
              f"{load.p50_ms:>8.1f} {load.p99_ms:>8.1f} {bad:>5}")  # fmt: skip
    print("bad = responses outside the expected statuses: non-2xx (for the poll: not 304)")


def print_ratios(ratios: list[Ratio]) -> None:
    print(f"{'ratio (req/s ÷ req/s, same run)':<44} {'conns':>5} {'service':>8} "
          f"{'baseline':>9} {'ratio':>6} {'target':>7}         {'rounds':<}")  # fmt: skip
    for r in ratios:
        rounds = " ".join(f"{x:.2f}" for x in r.rounds)
        print(f"{r.label:<44} {r.service.connections:>5} {r.service.rate:>8,.0f} "
              f"{r.baseline.rate:>9,.0f} {r.value:>6.2f} {'≥ ' + format(r.target, '.2f'):>7}  "
              f"{r.verdict:<5}  {rounds}")  # fmt: skip
    if any(len(r.rounds) > 1 for r in ratios):
        print(
            "ratio = the median round's; rounds = each round's ratio (baseline before and "
            "after the service, every round)"
        )


def print_machine_load(when: str) -> None:
    """The machine's load average: the figures of a busy shared machine are read with it."""
    one, five, _ = os.getloadavg()
    print(f"load average {when}: {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs")
