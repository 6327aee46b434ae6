#[bia::message(package = "ui.v1")]
pub struct ListRequest {
    pub tags: Vec<String>,
}

#[bia::message(package = "ui.v1")]
pub struct User {
    pub id: String,
}

#[bia::service(package = "ui.v1")]
pub trait Users: Send + Sync + 'static {
    #[rpc(get = "/v1/users/<tags>")]
    async fn list_users(&self, req: ListRequest) -> bia::Result<User>;
}

fn main() {}
