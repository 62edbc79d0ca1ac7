-- The admin list's data version moves out of `tenants` into a table of its own.
-- Every ledger, balance and outbox INSERT checks its foreign key to `tenants` with a shared
-- lock on the tenant row; bumping a version kept IN that row then needed an exclusive lock on
-- it, and two writers of one tenant, each holding the shared lock, deadlocked. No foreign key
-- points at this table, so the bump only ever queues.

CREATE TABLE tenant_data_versions (
    tenant_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    data_version BIGINT UNSIGNED NOT NULL DEFAULT 0,
    CONSTRAINT fk_tenant_data_versions_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO tenant_data_versions (tenant_id, data_version) SELECT id, data_version FROM tenants;

ALTER TABLE tenants DROP COLUMN data_version;
