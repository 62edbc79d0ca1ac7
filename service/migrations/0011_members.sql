-- Members in and out (issue 18): who erased whom, and when.
--
-- An erasure replaces the customer's phone and name everywhere they were kept (customers, the
-- balance row, every ledger row, the outbox payloads, the search terms) by the pseudonym
-- `erased-<id>`; what remains here is who did it, when and why: never the phone or the name.
-- One row per customer: an erasure is done once (a repeat answers this row).
CREATE TABLE erasures (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    customer_id BIGINT UNSIGNED NOT NULL,
    reason VARCHAR(500) NOT NULL,
    points_forfeited BIGINT NOT NULL,
    erased_by_kind VARCHAR(16) NOT NULL,
    erased_by_label VARCHAR(254) NOT NULL,
    erased_at DATETIME(6) NOT NULL,
    CONSTRAINT uq_erasures_customer UNIQUE (customer_id),
    CONSTRAINT fk_erasures_customer FOREIGN KEY (customer_id) REFERENCES customers (id),
    CONSTRAINT fk_erasures_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    INDEX ix_erasures_tenant (tenant_id, erased_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A customer's outbox events, found without reading every event of the shop: its export and
-- its erasure look them up by the payload's customer_id (a virtual column: nothing stored but
-- the index entry each event adds).
ALTER TABLE webhook_events
    ADD COLUMN payload_customer_id BIGINT UNSIGNED
        AS (JSON_VALUE(payload, '$.customer_id')) VIRTUAL,
    ADD INDEX ix_webhook_events_customer (tenant_id, payload_customer_id);
