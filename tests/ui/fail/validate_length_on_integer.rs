#[bia::message(package = "ui.v1")]
pub struct User {
    #[validate(length(max = 3))]
    pub age: u32,
}

fn main() {}
