#[bia::message(package = "ui.v1")]
pub struct User {
    #[validate(required)]
    pub age: i64,
}

fn main() {}
