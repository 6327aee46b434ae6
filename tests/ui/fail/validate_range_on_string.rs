#[bia::message(package = "ui.v1")]
pub struct User {
    #[validate(range(min = 1, max = 64))]
    pub name: String,
}

fn main() {}
