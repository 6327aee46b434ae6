-- The number of users, kept by the database: ListUsers' total reads one row.
-- `SELECT COUNT(*) FROM users` walks every page of an index on each call: at
-- 60,000 users some 750 pages a list, each pooled connection's page cache
-- filled with them (SQLite) and the calls slower as the table grows. Triggers
-- rather than the service's code, so a row written by any client (a script, an
-- older instance still running) is counted. SQLite's dialect; Postgres has
-- postgres/0002_user_count.sql, MySQL and MariaDB keep counting (see
-- `SqlUserRepo`).
CREATE TABLE IF NOT EXISTS user_count (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n BIGINT NOT NULL
);

CREATE TRIGGER IF NOT EXISTS users_count_insert AFTER INSERT ON users
BEGIN
    UPDATE user_count SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER IF NOT EXISTS users_count_delete AFTER DELETE ON users
BEGIN
    UPDATE user_count SET n = n - 1 WHERE id = 1;
END;

-- After the triggers: a row inserted in between is counted once either way.
INSERT INTO user_count (id, n) SELECT 1, COUNT(*) FROM users;
