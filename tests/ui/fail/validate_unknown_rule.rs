#[bia::message(package = "ui.v1")]
pub struct User {
    #[validate(lenght(max = 64))]
    pub name: String,
}

fn main() {}
