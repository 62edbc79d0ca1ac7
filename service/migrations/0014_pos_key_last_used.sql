-- When each POS key was last used (`loyalty pos-keys list`, issue 18). Written when a process
-- checks the key against the database, which is at most once per 5 s per key per process (the
-- credential cache), and only when the stored time is a minute old: no write per request.
ALTER TABLE pos_api_keys
    ADD COLUMN last_used_at DATETIME(6) NULL;
