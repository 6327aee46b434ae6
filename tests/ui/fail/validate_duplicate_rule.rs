#[bia::message(package = "ui.v1")]
pub struct User {
    #[validate(length(min = 1))]
    #[validate(length(max = 64))]
    pub name: String,
}

fn main() {}
