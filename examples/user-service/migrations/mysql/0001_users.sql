-- Users of the tutorial's user service on MySQL and MariaDB: ../0001_users.sql
-- in their dialect (see `SqlUserRepo::connect`). TEXT cannot be a key here, so
-- the keys are VARCHAR (the API caps names at 64 characters, emails at 254).
-- utf8mb4_bin compares byte for byte, as SQLite and Postgres do: `Ada@x.io`
-- and `ada@x.io` are two users on every backend. InnoDB for transactions and
-- for index keys longer than MyISAM's 1000 bytes.
CREATE TABLE IF NOT EXISTS users (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    email VARCHAR(255) NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    INDEX users_created_at (created_at, id)
) ENGINE = InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
