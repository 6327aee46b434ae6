//! `service`: implements the API trait by mapping messages to the use cases.

use bia::stream::Stream;
use tokio::sync::broadcast::error::RecvError;

use bia::codec::field_mask;
use bia::types::FieldMask;

use crate::api::{
    CreateUserReply, CreateUserRequest, GetUserReply, GetUserRequest, ListUsersReply, ListUsersRequest,
    UpdateUserReply, UpdateUserRequest, UserApi, UserError, UserEvent, UserEventKind, UserInfo, WatchUsersRequest,
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

    async fn update_user(&self, req: UpdateUserRequest) -> bia::Result<UpdateUserReply> {
        let patch = req.user.unwrap_or_default();
        // No mask: the fields the request sets (AIP-134's implicit mask).
        let mask = match req.update_mask {
            Some(mask) if !mask.paths.is_empty() => mask,
            _ => {
                let set = [("name", &patch.name), ("email", &patch.email)];
                FieldMask { paths: set.iter().filter(|(_, v)| !v.is_empty()).map(|(k, _)| (*k).to_owned()).collect() }
            }
        };
        field_mask::validate::<UserInfo>(&mask)?;
        if mask.paths.iter().any(|p| p == "id" || p == "*") {
            return Err(UserError::immutable_field("`id` names the user and cannot be updated")
                .with_metadata("path", mask.paths.join(",")));
        }
        let mut user = info(self.uc.get(&patch.id).await?);
        field_mask::apply(&mut user, &patch, &mask)?;
        let user = self.uc.update(&user.id, &user.name, &user.email).await?;
        Ok(UpdateUserReply { user: Some(info(user)) })
    }

    async fn list_users(&self, req: ListUsersRequest) -> bia::Result<ListUsersReply> {
        let (users, total) = self.uc.list(req.page, req.page_size).await?;
        Ok(ListUsersReply { users: users.into_iter().map(info).collect(), total })
    }

    async fn watch_users(&self, _req: WatchUsersRequest) -> bia::Result<impl Stream<Item = bia::Result<UserEvent>>> {
        let events = self.uc.watch();
        Ok(bia::stream::unfold(Some(events), |events| async move {
            let mut events = events?;
            let item = match events.recv().await {
                Ok(user) => Ok(UserEvent { kind: UserEventKind::Created, user: Some(info(user)) }),
                // The stream ends with the error: the watcher missed events.
                Err(RecvError::Lagged(missed)) => {
                    Err(UserError::watch_lagged(format_args!("the watcher fell {missed} events behind; watch again"))
                        .with_metadata("missed", missed.to_string()))
                }
                Err(RecvError::Closed) => return None,
            };
            let next = item.is_ok().then_some(events);
            Some((item, next))
        }))
    }
}
