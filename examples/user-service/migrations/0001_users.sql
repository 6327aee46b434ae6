-- Users of the tutorial's user service. Portable between SQLite and Postgres.
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS users_created_at ON users (created_at, id);
