-- Rewards, and Toast restaurants using this service as their loyalty provider (issue 20).
--
-- 1. A tenant's rewards: money off the bill for points. The list is replaced whole by the
--    admin (PUT /api/admin/rewards); `position` keeps the owner's order.
CREATE TABLE rewards (
    tenant_id BIGINT UNSIGNED NOT NULL,
    reward_id VARCHAR(32) NOT NULL,
    position SMALLINT UNSIGNED NOT NULL,
    name VARCHAR(100) NOT NULL,
    points INT UNSIGNED NOT NULL,
    amount_minor BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (tenant_id, reward_id),
    CONSTRAINT fk_rewards_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- 2. Toast restaurants bound to a tenant (and a location): the static key Toast sends in
--    Authorization, stored as its SHA-256 (the key is 256 random bits), never the key.
CREATE TABLE toast_restaurants (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    restaurant_guid VARCHAR(64) NOT NULL,
    location_id BIGINT UNSIGNED NULL,
    key_hash CHAR(64) NOT NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT uq_toast_restaurants_guid UNIQUE (restaurant_guid),
    CONSTRAINT uq_toast_restaurants_key UNIQUE (key_hash),
    CONSTRAINT fk_toast_restaurants_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_toast_restaurants_location FOREIGN KEY (location_id) REFERENCES locations (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- 3. Toast's loyaltyIdentifier of a customer: opaque and random (never a phone or e-mail);
--    LOYALTY_TRANSFER replaces it with whatever string Toast sends. An erased customer
--    takes its identifier along.
CREATE TABLE loyalty_identifiers (
    tenant_id BIGINT UNSIGNED NOT NULL,
    identifier VARCHAR(255) NOT NULL,
    customer_id BIGINT UNSIGNED NOT NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (tenant_id, identifier),
    CONSTRAINT uq_loyalty_identifiers_customer UNIQUE (customer_id),
    CONSTRAINT fk_loyalty_identifiers_customer FOREIGN KEY (customer_id)
        REFERENCES customers (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- 4. Every Toast transaction that changed something, written in the same database
--    transaction as its ledger rows: a replay (same Toast-Transaction-GUID and
--    loyaltyIdentifier; '' for none) answers `response` again; a REVERSE finds what to undo
--    (`ledger_ids`, and per appliedDiscountGuid in `redemptions`); `reversed_at` marks an
--    ACCRUE undone, so a later ACCRUE of the same check credits again.
CREATE TABLE toast_transactions (
    tenant_id BIGINT UNSIGNED NOT NULL,
    transaction_guid VARCHAR(64) NOT NULL,
    loyalty_identifier VARCHAR(255) NOT NULL,
    transaction_type VARCHAR(24) NOT NULL,
    restaurant_guid VARCHAR(64) NOT NULL,
    check_guid VARCHAR(64) NULL,
    customer_id BIGINT UNSIGNED NULL,
    ledger_ids JSON NOT NULL,
    redemptions JSON NULL,
    response JSON NOT NULL,
    reversed_at DATETIME(6) NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (tenant_id, transaction_guid, loyalty_identifier),
    INDEX ix_toast_transactions_check (tenant_id, check_guid, transaction_type),
    CONSTRAINT fk_toast_transactions_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- 5. REDEEMs whose COMMIT's outcome was unknown (Toast never retries a REDEEM): the admin
--    panel lists them; whether they committed is told by toast_transactions at read time.
CREATE TABLE toast_unknown_outcomes (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    transaction_guid VARCHAR(64) NOT NULL,
    loyalty_identifier VARCHAR(255) NOT NULL,
    restaurant_guid VARCHAR(64) NOT NULL,
    check_guid VARCHAR(64) NULL,
    customer_id BIGINT UNSIGNED NULL,
    redemptions JSON NOT NULL,
    created_at DATETIME(6) NOT NULL,
    INDEX ix_toast_unknown_outcomes_tenant (tenant_id, id),
    CONSTRAINT fk_toast_unknown_outcomes_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
