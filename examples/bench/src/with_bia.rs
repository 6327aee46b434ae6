//! The user service written with Bia.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::Store;

#[bia::message(package = "user.v1")]
pub struct UserInfo {
    pub id: String,
    pub name: String,
    pub email: String,
}

#[bia::message(package = "user.v1")]
pub struct GetUserRequest {
    pub id: String,
}

#[bia::message(package = "user.v1")]
pub struct CreateUserRequest {
    pub name: String,
    pub email: String,
}

#[bia::message(package = "user.v1")]
pub struct UserReply {
    pub user: Option<UserInfo>,
}

#[bia::errors(domain = "user.v1")]
pub enum UserError {
    #[error(code = 404)]
    UserNotFound,
}

#[bia::service(package = "user.v1", name = "User")]
pub trait UserApi: Send + Sync + 'static {
    #[rpc(get = "/v1/user/<id>")]
    async fn get_user(&self, req: GetUserRequest) -> bia::Result<UserReply>;

    #[rpc(post = "/v1/user", body = "*")]
    async fn create_user(&self, req: CreateUserRequest) -> bia::Result<UserReply>;
}

/// The implementation.
#[derive(Debug, Default)]
pub struct Users {
    store: Store,
}

impl UserApi for Users {
    async fn get_user(&self, req: GetUserRequest) -> bia::Result<UserReply> {
        match self.store.get(&req.id) {
            Some((name, email)) => Ok(UserReply { user: Some(UserInfo { id: req.id, name, email }) }),
            None => Err(UserError::user_not_found(format_args!("user {} not found", req.id))),
        }
    }

    async fn create_user(&self, req: CreateUserRequest) -> bia::Result<UserReply> {
        let id = self.store.create(req.name.clone(), req.email.clone());
        Ok(UserReply { user: Some(UserInfo { id, name: req.name, email: req.email }) })
    }
}

/// The app serving HTTP on `http` and gRPC on `grpc`.
pub fn app(http: SocketAddr, grpc: SocketAddr) -> bia::App {
    let server = UserApiServer::from_arc(Arc::new(Users::default()));
    bia::App::new("bench")
        .http(bia::transport::http::HttpServer::new(http).service(server.clone()))
        .grpc(bia::transport::grpc::GrpcServer::new(grpc).service(server))
}
