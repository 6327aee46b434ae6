#[bia::message(package = "ui.v1")]
pub struct User {
    pub id: String,
}

#[bia::message(package = "ui.v1")]
pub struct UpdateUserRequest {
    pub user: Option<User>,
}

#[bia::service(package = "ui.v1")]
pub trait Users: Send + Sync + 'static {
    #[rpc(put = "/v1/users/<user>", body = "*")]
    async fn update_user(&self, req: UpdateUserRequest) -> bia::Result<User>;
}

fn main() {}
