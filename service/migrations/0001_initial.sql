-- Tenants, customers, balances, the points ledger and credentials.
-- Runs on MariaDB 10.6+ and MySQL 8.0+; all times are UTC (the session time_zone is +00:00).

CREATE TABLE tenants (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    slug VARCHAR(64) NOT NULL,
    name VARCHAR(200) NOT NULL,
    phone_region CHAR(2) NOT NULL,
    -- Bumped in the same transaction as every balance change: the admin list's ETag.
    data_version BIGINT UNSIGNED NOT NULL DEFAULT 0,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT uq_tenants_slug UNIQUE (slug)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE customers (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    phone VARCHAR(16) NOT NULL,
    name VARCHAR(200) NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT uq_customers_tenant_phone UNIQUE (tenant_id, phone),
    CONSTRAINT fk_customers_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE customer_loyalty_points (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    customer_id BIGINT UNSIGNED NOT NULL,
    phone VARCHAR(16) NOT NULL,
    points_balance BIGINT NOT NULL DEFAULT 0,
    total_points_earned BIGINT NOT NULL DEFAULT 0,
    total_points_redeemed BIGINT NOT NULL DEFAULT 0,
    updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    CONSTRAINT uq_points_customer UNIQUE (customer_id),
    CONSTRAINT chk_points_balance_not_negative CHECK (points_balance >= 0),
    CONSTRAINT chk_points_earned_not_negative CHECK (total_points_earned >= 0),
    CONSTRAINT chk_points_redeemed_not_negative CHECK (total_points_redeemed >= 0),
    CONSTRAINT fk_points_customer FOREIGN KEY (customer_id) REFERENCES customers (id),
    CONSTRAINT fk_points_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    INDEX ix_points_tenant_updated (tenant_id, updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE phone_loyalty_transactions (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    phone VARCHAR(16) NOT NULL,
    tenant_id BIGINT UNSIGNED NOT NULL,
    customer_id BIGINT UNSIGNED NOT NULL,
    operation_type VARCHAR(32) NOT NULL,
    points_amount BIGINT NOT NULL,
    transaction_reference VARCHAR(64) NOT NULL,
    operation_details JSON NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    -- Backs idempotency: one operation of a kind per POS reference and tenant.
    CONSTRAINT uq_ledger_reference UNIQUE (tenant_id, operation_type, transaction_reference),
    CONSTRAINT fk_ledger_customer FOREIGN KEY (customer_id) REFERENCES customers (id),
    CONSTRAINT fk_ledger_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    INDEX ix_ledger_customer (customer_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE pos_api_keys (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    prefix CHAR(12) NOT NULL,
    secret_hash CHAR(64) NOT NULL,
    label VARCHAR(100) NOT NULL DEFAULT '',
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    revoked_at DATETIME(6) NULL,
    CONSTRAINT uq_pos_api_keys_prefix UNIQUE (prefix),
    CONSTRAINT fk_pos_api_keys_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE admin_users (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    email VARCHAR(254) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT uq_admin_users_tenant_email UNIQUE (tenant_id, email),
    CONSTRAINT fk_admin_users_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
