-- The request that wrote an outbox event, so the webhook worker's log lines about its
-- deliveries carry the same X-Request-ID as the API's lines about the points change.

ALTER TABLE webhook_events ADD COLUMN request_id VARCHAR(64) NULL;
