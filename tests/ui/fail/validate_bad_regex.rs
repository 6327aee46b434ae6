#[bia::message(package = "ui.v1")]
pub struct User {
    #[validate(pattern = "^([a-z]+$")]
    pub name: String,
}

fn main() {}
