//! `data`: the `UserRepo` on a real database through sqlx — SQLite by default
//! (a file, created with its tables on first start), Postgres when the source
//! is a `postgres://` URL.

use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use sqlx::Row as _;

use bia::wire::Cleanup;

use crate::api::UserError;
use crate::biz::{User, UserRepo};
use crate::conf::Bootstrap;

/// The `data.database` section of the config.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct DatabaseConf {
    /// `sqlite://FILE?mode=rwc` or `postgres://user:pass@host/db`.
    pub source: String,
    /// Pool size.
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
}

fn default_max_connections() -> u32 {
    5
}

fn db_error(e: sqlx::Error) -> bia::Error {
    bia::Error::internal_server("DATABASE", "database error").with_cause(e)
}

/// Users in a SQL database.
#[derive(Debug, Clone)]
pub struct SqlUserRepo {
    pool: AnyPool,
}

impl SqlUserRepo {
    /// Connects and runs the migrations.
    pub async fn connect(conf: &DatabaseConf) -> bia::Result<Self> {
        sqlx::any::install_default_drivers();
        let pool =
            AnyPoolOptions::new().max_connections(conf.max_connections.max(1)).connect(&conf.source).await.map_err(
                |e| {
                    bia::Error::service_unavailable(
                        "DATABASE",
                        format!("cannot open the database `{}`: {e}", redact(&conf.source)),
                    )
                },
            )?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| bia::Error::internal_server("DATABASE", format!("migrations failed: {e}")))?;
        Ok(Self { pool })
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

/// The source without its password, for messages.
fn redact(source: &str) -> String {
    match (source.find("://"), source.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &source[..s], &source[at..]),
        _ => source.to_owned(),
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
        let res = sqlx::query("INSERT INTO users (id, name, email, created_at) VALUES ($1, $2, $3, $4)")
            .bind(user.id.to_string())
            .bind(&user.name)
            .bind(&user.email)
            .bind(user.created_at)
            .execute(&self.pool)
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() || e.message().contains("UNIQUE") => {
                Err(UserError::email_taken(format_args!("email {} is already registered", user.email))
                    .with_metadata("email", user.email.clone()))
            }
            Err(e) => Err(db_error(e)),
        }
    }

    async fn get(&self, id: uuid::Uuid) -> bia::Result<Option<User>> {
        let row = sqlx::query("SELECT id, name, email, created_at FROM users WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.as_ref().map(user_of).transpose().map_err(db_error)
    }

    async fn list(&self, offset: i64, limit: i64) -> bia::Result<(Vec<User>, i64)> {
        let rows =
            sqlx::query("SELECT id, name, email, created_at FROM users ORDER BY created_at, id LIMIT $1 OFFSET $2")
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
        let users = rows.iter().map(user_of).collect::<Result<Vec<_>, _>>().map_err(db_error)?;
        let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await
            .and_then(|r| r.try_get("n"))
            .map_err(db_error)?;
        Ok((users, total))
    }
}
