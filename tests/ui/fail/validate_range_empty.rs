#[bia::message(package = "ui.v1")]
pub struct User {
    #[validate(range(gt = 10, lt = 10))]
    pub age: i32,
}

fn main() {}
