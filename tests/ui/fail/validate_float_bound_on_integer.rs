#[bia::message(package = "ui.v1")]
pub struct User {
    #[validate(range(max = 1.5))]
    pub age: u32,
}

fn main() {}
