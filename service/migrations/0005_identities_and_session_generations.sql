-- Sign-in names compare byte for byte: the service brings slugs and emails to one normal form
-- (service/identities.py) before storing or looking them up, so no collation may fold accents
-- or case on its own ("démo" must not find "demo").
-- session_generation: every admin token carries the generation it was issued under; sign-out
-- and a password change bump it, which revokes every earlier token of that admin.

ALTER TABLE tenants
    MODIFY slug VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;

ALTER TABLE admin_users
    MODIFY email VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    ADD COLUMN session_generation INT UNSIGNED NOT NULL DEFAULT 0;
