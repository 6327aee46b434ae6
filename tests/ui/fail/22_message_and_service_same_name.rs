#[bia::message(package = "p.v1")]
pub struct GetUserRequest {
    pub id: String,
}

#[bia::message(package = "p.v1")]
pub struct User {
    pub id: String,
}

#[bia::service(package = "p.v1", name = "User")]
pub trait UserService: Send + Sync + 'static {
    #[rpc(get = "/v1/users/<id>")]
    async fn get_user(&self, req: GetUserRequest) -> bia::Result<User>;
}

fn main() {}
