#[bia::message(package = "ui.v1")]
pub struct GetUserRequest {
    pub id: String,
}

#[bia::message(package = "ui.v1")]
pub struct User {
    pub id: String,
}

pub trait Users {
    #[bia::rpc(get = "/x")]
    fn get_user(&self, req: GetUserRequest) -> bia::Result<User>;
}

fn main() {}
