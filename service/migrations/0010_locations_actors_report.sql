-- Who did it, where, and the points report (issue 17).
--
-- 1. A tenant's locations (shops of a group); a POS key belongs to at most one.
CREATE TABLE locations (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    code VARCHAR(32) NOT NULL,
    name VARCHAR(200) NOT NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT uq_locations_tenant_code UNIQUE (tenant_id, code),
    CONSTRAINT fk_locations_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

ALTER TABLE pos_api_keys
    ADD COLUMN location_id BIGINT UNSIGNED NULL,
    ADD CONSTRAINT fk_pos_api_keys_location FOREIGN KEY (location_id) REFERENCES locations (id);

-- 2. An actor on every ledger row, written with it and never changed: its kind (pos_key,
--    admin, system, toast), the key's or admin's id, and its label as it was then (an admin
--    removed later still appears on what they did), and the location it happened at.
--    Rows written before this migration have none (shown as "—").
ALTER TABLE phone_loyalty_transactions
    ADD COLUMN actor_kind VARCHAR(16) NULL,
    ADD COLUMN actor_id BIGINT UNSIGNED NULL,
    ADD COLUMN actor_label VARCHAR(254) NULL,
    ADD COLUMN location_id BIGINT UNSIGNED NULL,
    ADD INDEX ix_ledger_tenant_created (tenant_id, created_at, operation_type, points_amount, location_id);

-- 3. The points report's closed days, summed once: a day (in the programme's timezone) that
--    has ended never changes, so its flows per location and report column are kept here.
--    location_id 0 is "no location". `report_days` records which days are summed (a day with
--    no rows has none in points_daily) and under which timezone.
CREATE TABLE points_daily (
    tenant_id BIGINT UNSIGNED NOT NULL,
    day DATE NOT NULL,
    location_id BIGINT UNSIGNED NOT NULL,
    report_column VARCHAR(32) NOT NULL,
    points BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, day, location_id, report_column),
    CONSTRAINT fk_points_daily_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE report_days (
    tenant_id BIGINT UNSIGNED NOT NULL,
    day DATE NOT NULL,
    timezone VARCHAR(64) NOT NULL,
    PRIMARY KEY (tenant_id, day),
    CONSTRAINT fk_report_days_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
