#[bia::message(package = "ui.v1")]
pub struct User {
    #[field(number = 3)]
    pub id: String,
}

fn main() {}
