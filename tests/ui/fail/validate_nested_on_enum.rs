#[bia::enumeration(package = "ui.v1")]
pub enum Role {
    Unspecified = 0,
    Admin = 1,
}

#[bia::message(package = "ui.v1")]
pub struct User {
    #[validate(nested)]
    pub role: Role,
}

fn main() {}
