-- `ledger verify` of a million-customer tenant (issue 8): it sums every customer's ledger rows.
-- With ix_ledger_customer on (customer_id, id) alone, each of those rows was read from the
-- table itself (its operation_type and points_amount), one random read each: 2,000,000 of them,
-- ~40 s. Carrying the two columns in the index makes those sums index-only (~7 s). The same
-- index still serves a customer's history (customer_id, ORDER BY id) and the foreign key, and
-- now covers the replay sums (`totals_through`) too. It replaces the old index rather than
-- adding one: a points change still writes one entry to it, only a few bytes wider.
ALTER TABLE phone_loyalty_transactions
    DROP INDEX ix_ledger_customer,
    ADD INDEX ix_ledger_customer (customer_id, id, operation_type, points_amount);
