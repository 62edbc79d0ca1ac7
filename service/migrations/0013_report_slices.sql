-- The points report's open days, summed in settled quarter hours (issue 17, point 5).
--
-- A closed day is kept in points_daily; today (and yesterday, for the first minutes after
-- midnight) is not closed, and a day an expiry run wrote 100,000 rows to made the live read of
-- it cost 100-200 ms. A quarter hour that ended SETTLE ago never changes either, so its sums
-- are kept too (UTC quarter hours: every timezone's day starts on one), and only the last
-- quarter hour is read live. Slices of closed days are dropped once the day is kept.
CREATE TABLE points_slices (
    tenant_id BIGINT UNSIGNED NOT NULL,
    slice_start DATETIME NOT NULL,
    location_id BIGINT UNSIGNED NOT NULL,
    report_column VARCHAR(32) NOT NULL,
    points BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, slice_start, location_id, report_column),
    CONSTRAINT fk_points_slices_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE report_slices (
    tenant_id BIGINT UNSIGNED NOT NULL,
    slice_start DATETIME NOT NULL,
    PRIMARY KEY (tenant_id, slice_start),
    CONSTRAINT fk_report_slices_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
