-- transaction_reference is an opaque identity from the till: two references are the same only
-- when their bytes are. The column was utf8mb4_unicode_ci, which called `ORD-17-abc` and
-- `ORD-17-ABC`, `straße` and `strasse`, `é` and `e`, or any two emoji the same, so a new order
-- was answered as a replay and silently not counted. VARBINARY compares bytes, with no
-- trailing-space padding (utf8mb4_bin pads) and no collation to choose: the same on MariaDB and
-- MySQL. 256 bytes hold the documented 64 characters in UTF-8.
ALTER TABLE phone_loyalty_transactions
    MODIFY transaction_reference VARBINARY(256) NOT NULL;
