#[bia::message(package = "ui.v1")]
pub struct User {
    #[validate(nested)]
    pub name: String,
}

fn main() {}
