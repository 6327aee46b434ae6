#[bia::message(package = "ui.v1")]
pub struct User {
    #[field(tag = 1)]
    pub id: String,
    #[field(tag = 1)]
    pub name: String,
}

fn main() {}
