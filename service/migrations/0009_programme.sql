-- The loyalty programme (issue 16): versioned settings per tenant, expiry dates on the ledger.
--
-- 1. Each change of a tenant's programme is a new row; the newest is in force. Old versions
--    stay: an earn records the version it was computed under, and its return is judged by it.
CREATE TABLE programme_versions (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    version INT UNSIGNED NOT NULL,
    currency CHAR(3) NOT NULL,
    timezone VARCHAR(64) NOT NULL,
    spend_points INT UNSIGNED NULL,
    spend_per_amount_minor BIGINT UNSIGNED NULL,
    visit_points INT UNSIGNED NOT NULL DEFAULT 0,
    visit_min_spend_minor BIGINT UNSIGNED NOT NULL DEFAULT 0,
    expiry_months SMALLINT UNSIGNED NULL,
    point_value_minor BIGINT UNSIGNED NOT NULL DEFAULT 0,
    -- Who set it: the admin's e-mail address, or "cli" for `loyalty programme set`.
    set_by VARCHAR(254) NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT uq_programme_version UNIQUE (tenant_id, version),
    CONSTRAINT fk_programme_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT chk_programme_spend CHECK ((spend_points IS NULL) = (spend_per_amount_minor IS NULL)),
    CONSTRAINT chk_programme_per_amount CHECK (spend_per_amount_minor IS NULL OR spend_per_amount_minor >= 1),
    CONSTRAINT chk_programme_expiry CHECK (expiry_months IS NULL OR expiry_months BETWEEN 1 AND 120)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- 2. When the points a row added expire (UTC; NULL: never, or a row that adds none). Set once,
--    when the row is written, from the programme in force then. The expiry job finds the
--    customers with points due through ix_ledger_expiry; a customer's lots are summed from
--    ix_ledger_customer, which now carries expires_at too (index-only, as verify's sums).
ALTER TABLE phone_loyalty_transactions
    ADD COLUMN expires_at DATETIME NULL,
    DROP INDEX ix_ledger_customer,
    ADD INDEX ix_ledger_customer (customer_id, id, operation_type, points_amount, expires_at),
    ADD INDEX ix_ledger_expiry (tenant_id, expires_at, customer_id);

-- 3. Whether any of the customer's rows ever carried an expiry date: a lookup of a customer
--    without one (every customer of a shop without expiry) costs no second query.
ALTER TABLE customer_loyalty_points
    ADD COLUMN has_expiring TINYINT(1) NOT NULL DEFAULT 0;

-- 4. How far each tenant's expiry job has got: dates up to `expired_through` were processed
--    for every row written before `ran_at` (a later run looks at newer dates, and at rows
--    written since that carry an older date, such as imported points).
CREATE TABLE expiry_runs (
    tenant_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    expired_through DATETIME NOT NULL,
    ran_at DATETIME(6) NOT NULL,
    CONSTRAINT fk_expiry_runs_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
