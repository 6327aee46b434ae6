#[bia::message(package = "ui.v1")]
pub struct User {
    #[validate(length(min = 8, max = 1))]
    pub name: String,
}

fn main() {}
