#[bia::enumeration(package = "ui.v1")]
pub enum Role {
    Unspecified = 0,
    Admin = 1,
}

#[bia::message(package = "ui.v1")]
pub struct User {
    #[validate(length(max = 3), each(required, length(min = 1)))]
    pub roles: Vec<Role>,
}

fn main() {}
