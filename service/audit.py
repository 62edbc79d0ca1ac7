"""The ledger audit: every balance row checked against the sum of its ledger (``ledger verify``)."""

from .db import run_query
from .rules import BALANCE_COLUMNS
from .store import ledger
from .tenancy import Tenant


def verify_ledger(conn, tenant: Tenant | None = None) -> tuple[int, list[dict]]:
    """Check every balance row against its ledger; returns (rows checked, drifts).

    A drift is ``{customer_id, tenant, phone, column, stored, expected}``; a negative balance
    is one too (expected ``>= 0``). Reads only.
    """
    checked, rows = run_query(
        conn, lambda cur: ledger.balances_disagreeing(cur, tenant.id if tenant else None)
    )
    drifts = []
    for row in rows:
        who = {"customer_id": row["customer_id"], "tenant": row["tenant"], "phone": row["phone"]}
        for column in BALANCE_COLUMNS:
            expected = int(row[f"expected_{column}"])
            if row[column] != expected:
                drifts.append(
                    {**who, "column": column, "stored": row[column], "expected": expected}
                )
        if row["points_balance"] < 0:
            drifts.append(
                {**who, "column": "points_balance", "stored": row["points_balance"],
                 "expected": ">= 0"}
            )  # fmt: skip
    return checked, drifts
