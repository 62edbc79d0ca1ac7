"""`flask --app service ledger verify` catches a balance that disagrees with its ledger."""

import pytest

from service.points import PointsChange, redeem_points

PHONE = "+447306506797"


def verify(app, *args):
    return app.test_cli_runner().invoke(args=["ledger", "verify", *args])


def test_a_consistent_tenant_verifies_clean(app, shop):
    shop.add_customer(PHONE, points=100)
    result = verify(app, "--tenant", shop.tenant.slug)
    assert result.exit_code == 0, result.output
    assert "Checked 1 customers: 0 drifting" in result.output


@pytest.mark.corrupts_balances
def test_a_balance_changed_by_hand_is_reported(app, shop):
    shop.add_customer(PHONE, points=100)
    with shop.conn.cursor() as cur:
        cur.execute(
            "UPDATE customer_loyalty_points SET points_balance = points_balance + 7, "
            "total_points_redeemed = 3 WHERE tenant_id = %s",
            (shop.tenant.id,),
        )
    try:
        result = verify(app, "--tenant", shop.tenant.slug)
        assert result.exit_code == 1
        assert f"phone={PHONE} points_balance: stored 107, ledger says 100" in result.output
        assert "total_points_redeemed: stored 3, ledger says 0" in result.output
        assert "1 drifting, 2 differences" in result.output
        assert verify(app).exit_code == 1  # the whole database, too
    finally:
        with shop.conn.cursor() as cur:
            cur.execute(
                "UPDATE customer_loyalty_points SET points_balance = 100, "
                "total_points_redeemed = 0 WHERE tenant_id = %s",
                (shop.tenant.id,),
            )
    assert verify(app, "--tenant", shop.tenant.slug).exit_code == 0


@pytest.mark.corrupts_balances
def test_only_the_customer_whose_balance_drifted_is_reported_among_many(app, shop, make_shop):
    """The ledger is summed per customer: sums of neighbours never mix into each other."""
    phones = [shop.add_customer(f"+44730650{n:04d}", points=100 + n) for n in range(30)]
    for n, phone in enumerate(phones[::3]):
        redeem_points(shop.conn, shop.tenant, PointsChange(phone, 10 + n, f"order-{n}"))
    other = make_shop()
    other.add_customer(phones[7], points=5)  # the same phone in another tenant, clean
    drifting = phones[7]
    with shop.conn.cursor() as cur:
        cur.execute(
            "UPDATE customer_loyalty_points SET total_points_earned = total_points_earned + 1 "
            "WHERE tenant_id = %s AND phone = %s",
            (shop.tenant.id, drifting),
        )
    try:
        result = verify(app, "--tenant", shop.tenant.slug)
        assert result.exit_code == 1
        assert "Checked 30 customers: 1 drifting, 1 differences" in result.output, result.output
        assert f"phone={drifting} total_points_earned: stored 108, ledger says 107" in result.output
        assert verify(app, "--tenant", other.tenant.slug).exit_code == 0
    finally:
        with shop.conn.cursor() as cur:
            cur.execute(
                "UPDATE customer_loyalty_points SET total_points_earned = total_points_earned - 1 "
                "WHERE tenant_id = %s AND phone = %s",
                (shop.tenant.id, drifting),
            )
    assert verify(app, "--tenant", shop.tenant.slug).exit_code == 0
