#[bia::enumeration(package = "ui.v1")]
pub enum Role {
    Unspecified = 0,
    #[value(name = "ROLE_ADMIN")]
    Admin = 1,
    #[value(name = "ROLE_ADMIN")]
    Root = 2,
}

fn main() {}
