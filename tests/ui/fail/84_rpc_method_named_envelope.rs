#[bia::message(package = "ui.v1")]
pub struct GetUserRequest {
    pub id: String,
}

#[bia::message(package = "ui.v1")]
pub struct User {
    pub id: String,
    pub name: String,
}

#[bia::service(package = "ui.v1")]
pub trait Users: Send + Sync + 'static {
    #[rpc(get = "/v1/users/<id>")]
    async fn envelope(&self, req: GetUserRequest) -> bia::Result<User>;
}

fn main() {}
