use std::collections::HashMap;

#[bia::message(package = "ui.v1")]
pub struct LabelRequest {
    pub labels: HashMap<String, String>,
}

#[bia::message(package = "ui.v1")]
pub struct User {
    pub id: String,
}

#[bia::service(package = "ui.v1")]
pub trait Users: Send + Sync + 'static {
    #[rpc(get = "/v1/users/<labels>")]
    async fn find(&self, req: LabelRequest) -> bia::Result<User>;
}

fn main() {}
