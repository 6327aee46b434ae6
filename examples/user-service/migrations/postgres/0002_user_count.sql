-- ../0002_user_count.sql in Postgres' dialect (a trigger runs a function).
-- `0001_users.sql` here is a link to ../0001_users.sql, the one both databases
-- ran before: applied migrations are checksummed, so it must stay those bytes.
-- Every insert updates the one row, so concurrent inserts queue on its lock
-- until they commit (at once for the service's single-row inserts).
CREATE TABLE IF NOT EXISTS user_count (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n BIGINT NOT NULL
);

CREATE OR REPLACE FUNCTION users_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE user_count SET n = n + 1 WHERE id = 1;
    ELSE
        UPDATE user_count SET n = n - 1 WHERE id = 1;
    END IF;
    RETURN NULL;
END
$$;

-- Creating the trigger locks `users` against writes until the migration
-- commits, so the count below misses no row and counts none twice.
CREATE TRIGGER users_count AFTER INSERT OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION users_count();

INSERT INTO user_count (id, n) SELECT 1, COUNT(*) FROM users;
