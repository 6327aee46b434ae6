//! `service`: implements the API trait by mapping messages to the use cases.

use crate::api::{
    CreateUserReply, CreateUserRequest, GetUserReply, GetUserRequest, ListUsersReply, ListUsersRequest, UserApi,
    UserInfo,
};
use crate::biz::{User, UserUseCase};

/// The `User` service.
#[derive(Clone)]
pub struct UserService {
    uc: UserUseCase,
}

impl UserService {
    /// A service over the use cases.
    pub fn new(uc: UserUseCase) -> Self {
        Self { uc }
    }
}

/// Provides the service over the use cases.
#[bia::provider]
pub fn new_user_service(uc: &UserUseCase) -> UserService {
    UserService::new(uc.clone())
}

fn info(u: User) -> UserInfo {
    UserInfo { id: u.id.to_string(), name: u.name, email: u.email }
}

impl UserApi for UserService {
    async fn create_user(&self, req: CreateUserRequest) -> bia::Result<CreateUserReply> {
        let user = self.uc.create(&req.name, &req.email).await?;
        Ok(CreateUserReply { user: Some(info(user)) })
    }

    async fn get_user(&self, req: GetUserRequest) -> bia::Result<GetUserReply> {
        let user = self.uc.get(&req.id).await?;
        Ok(GetUserReply { user: Some(info(user)) })
    }

    async fn list_users(&self, req: ListUsersRequest) -> bia::Result<ListUsersReply> {
        let (users, total) = self.uc.list(req.page, req.page_size).await?;
        Ok(ListUsersReply { users: users.into_iter().map(info).collect(), total })
    }
}
