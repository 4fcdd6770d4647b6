-- 0008: accounts for the web dashboard and the REST API (docs/web.md, "Accounts").
--
-- One row per account.  Passwords are stored as scrypt hashes with their own salt; API keys
-- are random 256-bit tokens, stored as their SHA-256 (a key is looked up by its hash, so it
-- is never stored or logged in clear).  Revoking sets revoked_at; the row stays, so actions
-- the account took (alert events, label corrections) still name an account that existed.

CREATE TABLE users (
    name           VARCHAR PRIMARY KEY,
    role           VARCHAR NOT NULL,      -- viewer | analyst | admin
    password_hash  VARCHAR NOT NULL,      -- scrypt$n$r$p$salt_hex$hash_hex
    api_key_hash   VARCHAR NOT NULL,      -- sha256 hex of the key
    api_key_hint   VARCHAR NOT NULL,      -- the key's first 8 characters, to tell keys apart
    created_at     TIMESTAMP NOT NULL,
    created_by     VARCHAR,
    revoked_at     TIMESTAMP
);
