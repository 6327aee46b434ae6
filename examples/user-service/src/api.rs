//! `api`: the contract, as the tutorial's `api/user/v1/user.proto` has it,
//! written as plain Rust: messages, the `User` service and its errors.

/// A user as clients see it.
#[bia::message(package = "user.v1")]
pub struct UserInfo {
    /// The user's id, a UUID given at creation.
    #[validate(pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    pub id: String,
    pub name: String,
    pub email: String,
}

/// Shape rules are checked by the `Validate` middleware before the handler
/// (400, reason `VALIDATOR`) and are in the OpenAPI document; the use case
/// (`biz`) checks them again for every caller, with one rule of its own:
/// the email must not be taken.
#[bia::message(package = "user.v1")]
pub struct CreateUserRequest {
    /// At most 64 characters, not blank (ASCII spaces, tabs and line breaks
    /// alone are blank).
    #[validate(length(max = 64), pattern = "[^\\t\\n\\x0b\\x0c\\r ]")]
    pub name: String,
    /// A valid email address, at most 254 characters.
    #[validate(length(max = 254), email)]
    pub email: String,
}

#[bia::message(package = "user.v1")]
pub struct CreateUserReply {
    pub user: Option<UserInfo>,
}

#[bia::message(package = "user.v1")]
pub struct GetUserRequest {
    /// The user's id (a UUID).
    #[validate(pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    pub id: String,
}

#[bia::message(package = "user.v1")]
pub struct GetUserReply {
    pub user: Option<UserInfo>,
}

/// The standard Update method (AIP-134): the fields of `user` that
/// `update_mask` names replace the stored ones (`?updateMask=name,email`);
/// without a mask, the fields `user` sets (non-empty) do. `id` names the
/// user and cannot change.
#[bia::message(package = "user.v1")]
pub struct UpdateUserRequest {
    #[validate(required)]
    pub user: Option<UserInfo>,
    pub update_mask: Option<bia::types::FieldMask>,
}

#[bia::message(package = "user.v1")]
pub struct UpdateUserReply {
    pub user: Option<UserInfo>,
}

/// A page of users: `page` is 1-based, `page_size` defaults to 10 and is at
/// most [`MAX_PAGE_SIZE`].
#[bia::message(package = "user.v1")]
pub struct ListUsersRequest {
    #[validate(range(min = 0))]
    pub page: i64,
    #[validate(range(min = 0))]
    pub page_size: i64,
}

#[bia::message(package = "user.v1")]
pub struct ListUsersReply {
    pub users: Vec<UserInfo>,
    /// Every user, whatever the page.
    pub total: i64,
}

/// What a user event says happened.
#[bia::enumeration(package = "user.v1")]
pub enum UserEventKind {
    Unspecified = 0,
    /// The user was created.
    Created = 1,
}

/// Which events `WatchUsers` streams (all of them, for now: the message
/// leaves room for filters).
#[bia::message(package = "user.v1")]
pub struct WatchUsersRequest {}

/// One change to the users, as it happens.
#[bia::message(package = "user.v1")]
pub struct UserEvent {
    pub kind: UserEventKind,
    pub user: Option<UserInfo>,
}

/// The default page size.
pub const DEFAULT_PAGE_SIZE: i64 = 10;
/// The largest page size; larger requests get this many.
pub const MAX_PAGE_SIZE: i64 = 100;

/// Errors of the user service.
#[bia::errors(domain = "user.v1")]
pub enum UserError {
    /// No user has this id.
    #[error(code = 404)]
    UserNotFound,
    /// The email belongs to another user.
    #[error(code = 409)]
    EmailTaken,
    /// The name is empty.
    #[error(code = 400)]
    InvalidName,
    /// The email is not well-formed.
    #[error(code = 400)]
    InvalidEmail,
    /// The id is not a UUID.
    #[error(code = 400)]
    InvalidId,
    /// The update mask names a field that cannot change (`id`).
    #[error(code = 400)]
    ImmutableField,
    /// A watcher read too slowly and missed events; it watches again from now.
    #[error(code = 503)]
    WatchLagged,
    /// The database is unreachable, restarting or busy; the call may be
    /// tried again.
    #[error(code = 503)]
    DatabaseUnavailable,
}

/// The user service.
#[bia::service(package = "user.v1", name = "User")]
pub trait UserApi: Send + Sync + 'static {
    /// Creates a user.
    #[rpc(post = "/v1/user", body = "*")]
    async fn create_user(&self, req: CreateUserRequest) -> bia::Result<CreateUserReply>;

    /// Gets one user.
    #[rpc(idempotent, get = "/v1/user/<id>")]
    async fn get_user(&self, req: GetUserRequest) -> bia::Result<GetUserReply>;

    /// Changes a user's name or email: the fields the update mask names.
    #[rpc(patch = "/v1/user/<user.id>", body = "user")]
    async fn update_user(&self, req: UpdateUserRequest) -> bia::Result<UpdateUserReply>;

    /// Lists users, oldest first: `GET /v1/users?page=1&page_size=10`.
    #[rpc(idempotent, get = "/v1/users")]
    async fn list_users(&self, req: ListUsersRequest) -> bia::Result<ListUsersReply>;

    /// Streams user events as they happen, from now on: over gRPC, or as
    /// server-sent events with `curl -N localhost:8000/v1/users/watch`.
    #[rpc(get = "/v1/users/watch")]
    async fn watch_users(
        &self,
        req: WatchUsersRequest,
    ) -> bia::Result<impl bia::stream::Stream<Item = bia::Result<UserEvent>>>;
}

/// The operations that change data: JWT guards them when `auth.jwt.enabled`.
pub const WRITE_OPERATIONS: &[&str] = &[UserApiOperation::CREATE_USER];

/// The settings of the service's OpenAPI document, which the HTTP server
/// serves at `/openapi.json` and `/openapi.yaml` and `user-service openapi`
/// prints: with `bearer_on_writes` (`auth.jwt.enabled`), the
/// [`WRITE_OPERATIONS`] declare the bearer scheme.
pub fn openapi(bearer_on_writes: bool) -> bia::schema::OpenApi {
    let api = bia::schema::OpenApi::new("user-service", "1.0.0")
        .description("The Kratos tutorial's user service, written with Bia.")
        .service::<UserApiServer<()>>()
        .errors::<UserError>();
    if bearer_on_writes {
        api.bearer(|operation| WRITE_OPERATIONS.contains(&operation))
    } else {
        api
    }
}
