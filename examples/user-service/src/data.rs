//! `data`: the `UserRepo` on a real database through sqlx — SQLite by default
//! (a file, created with its tables on first start), Postgres when the source
//! is a `postgres://` URL, MySQL or MariaDB when it is a `mysql://` URL or, as
//! in the Kratos tutorial, `driver: mysql` with the Go driver's DSN
//! `user:pass@tcp(host:port)/db?parseTime=true`.

mod source;

use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use sqlx::Row as _;

use bia::wire::Cleanup;

use crate::api::UserError;
use crate::biz::{User, UserRepo};
use crate::conf::Bootstrap;

pub use source::Driver;
use source::{redact, Resolved};

/// The `data.database` section of the config. Its `Debug` shows the source
/// without its password.
#[derive(Clone, serde::Deserialize)]
pub struct DatabaseConf {
    /// `sqlite`, `postgres` or `mysql` (MariaDB too), as the tutorial's
    /// `driver: mysql`; left out, the source's form says which.
    #[serde(default)]
    pub driver: Option<Driver>,
    /// `sqlite://FILE?mode=rwc`, `postgres://user:pass@host/db`,
    /// `mysql://user:pass@host:port/db`, or the Go MySQL driver's
    /// `user:pass@tcp(host:port)/db?params`.
    pub source: String,
    /// Pool size.
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
    /// How long a call waits for a connection of the pool (all in use, or
    /// the database unreachable) before it fails with 503
    /// `DATABASE_UNAVAILABLE`: below the server's timeout, so a database
    /// that went away is a fast 503 rather than a 504.
    #[serde(default = "default_acquire_timeout", with = "humantime_serde")]
    pub acquire_timeout: std::time::Duration,
    /// SQLite: how long a statement waits for a lock another writer holds
    /// before it fails with 503 `DATABASE_UNAVAILABLE` (SQLite's own default,
    /// 5 s, is past any call's deadline).
    #[serde(default = "default_busy_timeout", with = "humantime_serde")]
    pub busy_timeout: std::time::Duration,
    /// SQLite: the page cache of each pooled connection, KiB (SQLite's
    /// default, 2,000 KiB, when unset): the memory the service's database
    /// pages may take grows to `max_connections` times this as the file does.
    #[serde(default)]
    pub sqlite_cache_kib: Option<u64>,
}

impl std::fmt::Debug for DatabaseConf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConf")
            .field("driver", &self.driver)
            .field("source", &redact(&self.source))
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("busy_timeout", &self.busy_timeout)
            .field("sqlite_cache_kib", &self.sqlite_cache_kib)
            .finish()
    }
}

fn default_max_connections() -> u32 {
    5
}

fn default_acquire_timeout() -> std::time::Duration {
    std::time::Duration::from_millis(500)
}

fn default_busy_timeout() -> std::time::Duration {
    std::time::Duration::from_millis(500)
}

/// A failed statement: 503 `DATABASE_UNAVAILABLE` when the database is away
/// or busy (the call may be tried again), else 500 `DATABASE`. The cause is
/// kept for the log, not sent.
fn db_error(e: sqlx::Error) -> bia::Error {
    if unavailable(&e) {
        return UserError::database_unavailable(
            "the database is unavailable (unreachable, restarting or busy): try again",
        )
        .with_cause(e);
    }
    bia::Error::internal_server("DATABASE", "database error").with_cause(e)
}

/// Whether `e` says the database is away or busy, rather than that the
/// statement failed: no connection within the acquire timeout, a connection
/// lost, or the database's own codes for it.
fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => {
            if let Some(e) = e.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
                // SQLITE_BUSY and SQLITE_LOCKED, and their extended codes.
                let code = sqlx::error::DatabaseError::code(e).and_then(|c| c.parse::<i32>().ok()).unwrap_or(0);
                return matches!(code & 0xff, 5 | 6);
            }
            if let Some(e) = e.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                // Connection exceptions; the server shutting down, crashed or
                // starting; too many connections.
                let code = e.code();
                return code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300");
            }
            if let Some(e) = e.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
                // Too many connections, shutdown in progress, lock wait timeout.
                return matches!(e.number(), 1040 | 1053 | 1205);
            }
            false
        }
        _ => false,
    }
}

/// The repository's statements in one backend's dialect: the placeholders
/// differ (sqlx's `Any` driver passes SQL through untouched), and where the
/// total of users comes from.
#[derive(Debug)]
struct Statements {
    insert: &'static str,
    update: &'static str,
    get: &'static str,
    list: &'static str,
    /// The number of users, as `n`.
    count: &'static str,
    /// An UPDATE reports the rows it matched (SQLite, Postgres), not only
    /// those it changed (MySQL, where the same values again are 0 rows).
    counts_matched: bool,
}

/// SQLite and Postgres: numbered placeholders.
const NUMBERED: Statements = Statements {
    insert: "INSERT INTO users (id, name, email, created_at) VALUES ($1, $2, $3, $4)",
    update: "UPDATE users SET name = $1, email = $2 WHERE id = $3",
    get: "SELECT id, name, email, created_at FROM users WHERE id = $1",
    list: "SELECT id, name, email, created_at FROM users ORDER BY created_at, id LIMIT $1 OFFSET $2",
    // Kept by triggers (migrations/0002_user_count.sql): one row, where a
    // COUNT(*) walks an index's every page.
    count: "SELECT n FROM user_count WHERE id = 1",
    counts_matched: true,
};

/// MySQL and MariaDB: `?`, bound in order.
const POSITIONAL: Statements = Statements {
    insert: "INSERT INTO users (id, name, email, created_at) VALUES (?, ?, ?, ?)",
    update: "UPDATE users SET name = ?, email = ? WHERE id = ?",
    get: "SELECT id, name, email, created_at FROM users WHERE id = ?",
    list: "SELECT id, name, email, created_at FROM users ORDER BY created_at, id LIMIT ? OFFSET ?",
    // Counted: with binary logging on (MySQL 8's default) creating a trigger
    // takes SUPER or `log_bin_trust_function_creators`, which a managed
    // database's user seldom has; the scan runs in the server, not here.
    count: "SELECT COUNT(*) AS n FROM users",
    counts_matched: false,
};

/// Users in a SQL database.
#[derive(Debug, Clone)]
pub struct SqlUserRepo {
    pool: AnyPool,
    sql: &'static Statements,
}

impl SqlUserRepo {
    /// Connects and runs the migrations.
    pub async fn connect(conf: &DatabaseConf) -> bia::Result<Self> {
        let Resolved { driver, url } = source::resolve(conf.driver, &conf.source).map_err(|why| {
            bia::Error::internal_server("DATABASE", format!("bad database source `{}`: {why}", redact(&conf.source)))
        })?;
        sqlx::any::install_default_drivers();
        let busy_timeout = conf.busy_timeout.as_millis().min(i32::MAX as u128);
        let cache = conf.sqlite_cache_kib.map(|kib| format!("PRAGMA cache_size = -{kib}"));
        let pool = AnyPoolOptions::new()
            .max_connections(conf.max_connections.max(1))
            .acquire_timeout(conf.acquire_timeout)
            .after_connect(move |conn, _| {
                let cache = cache.clone();
                Box::pin(async move {
                    if driver == Driver::Sqlite {
                        sqlx::Executor::execute(&mut *conn, format!("PRAGMA busy_timeout = {busy_timeout}").as_str())
                            .await?;
                        if let Some(cache) = cache {
                            sqlx::Executor::execute(&mut *conn, cache.as_str()).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .map_err(|e| {
                bia::Error::service_unavailable(
                    "DATABASE",
                    format!("cannot open the database `{}`: {e}", redact(&conf.source)),
                )
            })?;
        // One schema in two dialects. MySQL and MariaDB cannot make a TEXT
        // column a key (nor UNIQUE) without a prefix length, and sqlx's `Any`
        // driver reads their TEXT as bytes, so they get `migrations/mysql`
        // (VARCHAR, and a binary collation so emails compare as on SQLite and
        // Postgres). Postgres has `migrations/postgres` from the second on
        // (its triggers run functions); its first is a link to the first of
        // `migrations/`, which both ran. Applied migrations stay byte for byte
        // as deployed: sqlx checksums them, and an edit would stop every
        // existing database from starting.
        let migrator = match driver {
            Driver::Mysql => sqlx::migrate!("./migrations/mysql"),
            Driver::Postgres => sqlx::migrate!("./migrations/postgres"),
            Driver::Sqlite => sqlx::migrate!("./migrations"),
        };
        migrator
            .run(&pool)
            .await
            .map_err(|e| bia::Error::internal_server("DATABASE", format!("migrations failed: {e}")))?;
        let sql = match driver {
            Driver::Mysql => &POSITIONAL,
            Driver::Sqlite | Driver::Postgres => &NUMBERED,
        };
        Ok(Self { pool, sql })
    }

    /// Closes the pool (waits for connections in use).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Provides the `UserRepo` on `data.database`: connects and migrates at
/// startup, closes the pool at stop.
#[bia::provider(bind = dyn UserRepo)]
pub async fn new_user_repo(conf: &Bootstrap) -> bia::Result<(SqlUserRepo, Cleanup)> {
    let repo = SqlUserRepo::connect(&conf.data.database).await?;
    let closing = repo.clone();
    Ok((repo, Cleanup::new(move || async move { closing.close().await })))
}

/// A failed insert or update: the email is taken, or the database failed.
fn write_error(e: sqlx::Error, user: &User) -> bia::Error {
    match e {
        // SQLite's UNIQUE constraint, Postgres' 23505, MySQL's 1062 (ER_DUP_ENTRY).
        sqlx::Error::Database(e) if e.is_unique_violation() || e.message().contains("UNIQUE") => {
            UserError::email_taken(format_args!("email {} is already registered", user.email))
                .with_metadata("email", user.email.clone())
        }
        e => db_error(e),
    }
}

fn user_of(row: &sqlx::any::AnyRow) -> Result<User, sqlx::Error> {
    let id: String = row.try_get("id")?;
    Ok(User {
        id: uuid::Uuid::parse_str(&id).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        created_at: row.try_get("created_at")?,
    })
}

#[async_trait::async_trait]
impl UserRepo for SqlUserRepo {
    async fn create(&self, user: &User) -> bia::Result<()> {
        let res = sqlx::query(self.sql.insert)
            .bind(user.id.to_string())
            .bind(&user.name)
            .bind(&user.email)
            .bind(user.created_at)
            .execute(&self.pool)
            .await;
        res.map(drop).map_err(|e| write_error(e, user))
    }

    async fn update(&self, user: &User) -> bia::Result<bool> {
        let res = sqlx::query(self.sql.update)
            .bind(&user.name)
            .bind(&user.email)
            .bind(user.id.to_string())
            .execute(&self.pool)
            .await;
        // Where only changed rows count, a missing user was told by the use
        // case's `get` before.
        res.map(|r| r.rows_affected() > 0 || !self.sql.counts_matched).map_err(|e| write_error(e, user))
    }

    async fn get(&self, id: uuid::Uuid) -> bia::Result<Option<User>> {
        let row = sqlx::query(self.sql.get).bind(id.to_string()).fetch_optional(&self.pool).await.map_err(db_error)?;
        row.as_ref().map(user_of).transpose().map_err(db_error)
    }

    async fn list(&self, offset: i64, limit: i64) -> bia::Result<(Vec<User>, i64)> {
        let rows = sqlx::query(self.sql.list).bind(limit).bind(offset).fetch_all(&self.pool).await.map_err(db_error)?;
        let users = rows.iter().map(user_of).collect::<Result<Vec<_>, _>>().map_err(db_error)?;
        let total: i64 =
            sqlx::query(self.sql.count).fetch_one(&self.pool).await.and_then(|r| r.try_get("n")).map_err(db_error)?;
        Ok((users, total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(file: &std::path::Path) -> DatabaseConf {
        DatabaseConf {
            driver: None,
            source: format!("sqlite://{}?mode=rwc", file.display()),
            max_connections: 2,
            acquire_timeout: std::time::Duration::from_secs(5),
            busy_timeout: std::time::Duration::from_secs(5),
            sqlite_cache_kib: None,
        }
    }

    fn user(i: u32) -> User {
        User {
            id: uuid::Uuid::new_v4(),
            name: format!("u{i}"),
            email: format!("u{i}@example.com"),
            created_at: i.into(),
        }
    }

    async fn total(repo: &SqlUserRepo) -> i64 {
        repo.list(0, 1).await.unwrap().1
    }

    /// A database made before the count was kept (only the first migration,
    /// three users) gets the right total on upgrade, and the triggers keep it:
    /// the service's inserts, a failed one, and rows another client writes.
    #[tokio::test]
    async fn the_total_is_kept_by_the_database_from_an_upgrade_on() {
        let dir = std::env::temp_dir().join(format!("bia-user-count-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("users.db");
        sqlx::any::install_default_drivers();
        let other = AnyPoolOptions::new().max_connections(1).connect(&conf(&file).source).await.unwrap();
        let mut first = sqlx::migrate!("./migrations");
        first.migrations = first.migrations[..1].to_vec().into();
        first.run(&other).await.unwrap();
        for i in 0..3 {
            let u = user(i);
            sqlx::query("INSERT INTO users (id, name, email, created_at) VALUES ($1, $2, $3, $4)")
                .bind(u.id.to_string())
                .bind(u.name)
                .bind(u.email)
                .bind(u.created_at)
                .execute(&other)
                .await
                .unwrap();
        }

        let repo = SqlUserRepo::connect(&conf(&file)).await.unwrap();
        assert_eq!(total(&repo).await, 3);
        repo.create(&user(3)).await.unwrap();
        assert_eq!(total(&repo).await, 4);
        let e = repo.create(&user(3)).await.unwrap_err();
        assert_eq!(e.reason(), "EMAIL_TAKEN", "{e}");
        assert_eq!(total(&repo).await, 4);
        sqlx::query("INSERT INTO users (id, name, email, created_at) VALUES ('x', 'x', 'x@example.com', 9)")
            .execute(&other)
            .await
            .unwrap();
        assert_eq!(total(&repo).await, 5);
        sqlx::query("DELETE FROM users WHERE email IN ('x@example.com', 'u0@example.com')")
            .execute(&other)
            .await
            .unwrap();
        assert_eq!(total(&repo).await, 3);
        assert_eq!(repo.list(0, 10).await.unwrap().0.len(), 3);

        repo.close().await;
        other.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Postgres' first migration is a link to the one both databases ran:
    /// sqlx would refuse a database whose applied migration changed.
    #[test]
    fn postgres_first_migration_is_the_shared_one() {
        let (shared, postgres) = (sqlx::migrate!("./migrations"), sqlx::migrate!("./migrations/postgres"));
        let (a, b) = (&shared.migrations[0], &postgres.migrations[0]);
        assert_eq!((a.version, &a.description, &a.checksum), (b.version, &b.description, &b.checksum));
        assert_eq!(postgres.migrations.len(), shared.migrations.len());
    }
}
