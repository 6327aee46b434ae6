#[bia::message(package = "ui.v1")]
pub struct User {
    #[validate(pattern = "^[a-z]+$")]
    pub tags: Vec<String>,
}

fn main() {}
