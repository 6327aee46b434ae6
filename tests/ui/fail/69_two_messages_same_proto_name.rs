#[bia::message(package = "ui.v1")]
pub struct User {
    pub id: String,
}

#[bia::message(package = "ui.v1", name = "User")]
pub struct Person {
    pub id: String,
}

fn main() {}
