//! `biz`: the domain — the `User` type, the `UserRepo` it is stored through,
//! and the `UserUseCase` with the input rules.

use std::sync::Arc;

use crate::api::UserError;

/// A user of the domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: uuid::Uuid,
    pub name: String,
    pub email: String,
    /// Microseconds since the Unix epoch; listing is ordered by it, then id.
    pub created_at: i64,
}

/// Where users are kept (implemented by `data`).
#[async_trait::async_trait]
pub trait UserRepo: Send + Sync + 'static {
    /// Saves a new user; an email already used is `UserError::EmailTaken`.
    async fn create(&self, user: &User) -> bia::Result<()>;
    /// The user with this id.
    async fn get(&self, id: uuid::Uuid) -> bia::Result<Option<User>>;
    /// Saves a user's new name and email; `false` when no user has its id,
    /// `UserError::EmailTaken` when another user has the email.
    async fn update(&self, user: &User) -> bia::Result<bool>;
    /// `limit` users from `offset`, oldest first, and how many there are.
    async fn list(&self, offset: i64, limit: i64) -> bia::Result<(Vec<User>, i64)>;
}

/// The use cases of users.
#[derive(Clone)]
pub struct UserUseCase {
    repo: Arc<dyn UserRepo>,
    /// Every user created, to whoever watches.
    created: tokio::sync::broadcast::Sender<User>,
}

/// How many events a watcher may fall behind before it misses some.
pub const WATCH_BUFFER: usize = 256;

/// Provides the use cases over whichever `UserRepo` is bound (`data`'s).
#[bia::provider]
pub fn new_user_use_case(repo: Arc<dyn UserRepo>) -> UserUseCase {
    UserUseCase::new(repo)
}

impl UserUseCase {
    /// Use cases over `repo`.
    pub fn new(repo: Arc<dyn UserRepo>) -> Self {
        Self { repo, created: tokio::sync::broadcast::channel(WATCH_BUFFER).0 }
    }

    /// The users created from now on. A watcher more than [`WATCH_BUFFER`]
    /// events behind gets `Lagged` and goes on from the oldest it still has.
    pub fn watch(&self) -> tokio::sync::broadcast::Receiver<User> {
        self.created.subscribe()
    }

    /// Creates a user: the name must not be empty, the email must be
    /// well-formed and not taken.
    pub async fn create(&self, name: &str, email: &str) -> bia::Result<User> {
        let (name, email) = checked(name, email)?;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let user = User {
            id: uuid::Uuid::new_v4(),
            name: name.to_owned(),
            email: email.to_owned(),
            created_at: i64::try_from(now.as_micros()).unwrap_or(i64::MAX),
        };
        self.repo.create(&user).await?;
        tracing::info!(user.id = %user.id, "user created");
        // Nobody watching is fine.
        let _ = self.created.send(user.clone());
        Ok(user)
    }

    /// The user with `id`.
    pub async fn get(&self, id: &str) -> bia::Result<User> {
        self.repo.get(parse_id(id)?).await?.ok_or_else(|| not_found(id))
    }

    /// Gives the user with `id` a new name and email, under the rules of
    /// [`UserUseCase::create`].
    pub async fn update(&self, id: &str, name: &str, email: &str) -> bia::Result<User> {
        let (name, email) = checked(name, email)?;
        let mut user = self.get(id).await?;
        user.name = name.to_owned();
        user.email = email.to_owned();
        if !self.repo.update(&user).await? {
            return Err(not_found(id));
        }
        tracing::info!(user.id = %user.id, "user updated");
        Ok(user)
    }

    /// Page `page` (1-based) of `page_size` users (default 10, at most 100),
    /// oldest first, and the total. A page past the end is empty.
    pub async fn list(&self, page: i64, page_size: i64) -> bia::Result<(Vec<User>, i64)> {
        use crate::api::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
        let size = if page_size <= 0 { DEFAULT_PAGE_SIZE } else { page_size.min(MAX_PAGE_SIZE) };
        let page = page.max(1);
        let offset = (page - 1).saturating_mul(size);
        self.repo.list(offset, size).await
    }
}

/// The name and email, trimmed, if they follow the rules: a name that is not
/// blank, a well-formed email. Blank is what the API documents
/// (`CreateUserRequest.name`'s pattern): ASCII spaces, tabs and line breaks.
fn checked<'a>(name: &'a str, email: &'a str) -> bia::Result<(&'a str, &'a str)> {
    let name = name.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\x0b');
    if name.is_empty() {
        return Err(UserError::invalid_name("the name must not be empty").with_metadata("field", "name"));
    }
    let email = email.trim();
    if !email_address::EmailAddress::is_valid(email) {
        return Err(UserError::invalid_email(format_args!("`{email}` is not a valid email address"))
            .with_metadata("field", "email"));
    }
    Ok((name, email))
}

fn parse_id(id: &str) -> bia::Result<uuid::Uuid> {
    uuid::Uuid::parse_str(id)
        .map_err(|_| UserError::invalid_id(format_args!("`{id}` is not a user id (a UUID)")).with_metadata("id", id))
}

fn not_found(id: &str) -> bia::Error {
    UserError::user_not_found(format_args!("user {id} not found")).with_metadata("id", id)
}
