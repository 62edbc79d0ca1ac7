-- A million customers in one tenant (issue 8).
--
-- 1. No tenant-wide hot row. Every write used to bump its tenant's row in
--    tenant_data_versions inside its transaction, so writes of different customers of one shop
--    queued on that row until commit (and conflicted on a multi-writer cluster). The admin
--    list's ETag now comes from the newest `updated_at` of the tenant's balance rows (one
--    index dive on ix_points_tenant_updated), and a customer's history from its own row's
--    `version`.
ALTER TABLE customer_loyalty_points
    ADD COLUMN version BIGINT UNSIGNED NOT NULL DEFAULT 0;

DROP TABLE tenant_data_versions;

-- 2. The till's lookup locks the balance row by phone in one statement, without a join.
ALTER TABLE customer_loyalty_points
    ADD CONSTRAINT uq_points_tenant_phone UNIQUE (tenant_id, phone);

-- 3. Search by the last digits of a phone number: a prefix search on the reversed number.
ALTER TABLE customers
    ADD COLUMN phone_rev VARCHAR(16) AS (REVERSE(phone)) STORED,
    ADD INDEX ix_customers_tenant_phone_rev (tenant_id, phone_rev);

-- 4. Search by the prefix of any word of the name, case- and accent-insensitively (the
--    collation does that): one row per distinct space-separated word (its first 32 characters).
CREATE TABLE customer_search_terms (
    tenant_id BIGINT UNSIGNED NOT NULL,
    term VARCHAR(32) NOT NULL,
    customer_id BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (tenant_id, term, customer_id),
    INDEX ix_search_terms_customer (customer_id, term),
    CONSTRAINT fk_search_terms_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT IGNORE INTO customer_search_terms (tenant_id, term, customer_id)
WITH RECURSIVE words (tenant_id, customer_id, word, rest) AS (
    SELECT tenant_id, id, SUBSTRING_INDEX(TRIM(name), ' ', 1),
           TRIM(SUBSTRING(TRIM(name), CHAR_LENGTH(SUBSTRING_INDEX(TRIM(name), ' ', 1)) + 2))
    FROM customers WHERE name IS NOT NULL AND TRIM(name) <> ''
    UNION ALL
    SELECT tenant_id, customer_id, SUBSTRING_INDEX(rest, ' ', 1),
           TRIM(SUBSTRING(rest, CHAR_LENGTH(SUBSTRING_INDEX(rest, ' ', 1)) + 2))
    FROM words WHERE rest <> ''
)
SELECT tenant_id, LEFT(word, 32), customer_id FROM words WHERE word <> '';
