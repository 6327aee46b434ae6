#[bia::message(package = "ui-v1")]
pub struct User {
    pub id: String,
}

fn main() {}
