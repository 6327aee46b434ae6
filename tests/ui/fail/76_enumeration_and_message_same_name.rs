#[bia::message(package = "ui.v1")]
pub struct User {
    pub id: String,
}

#[bia::enumeration(package = "ui.v1", name = "User")]
pub enum UserKind {
    Unspecified = 0,
}

fn main() {}
