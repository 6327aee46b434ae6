#[bia::message(package = "ui.v1", reserved = [2, 3])]
pub struct User {
    pub id: String,
    #[field(tag = 2)]
    pub name: String,
}

fn main() {}
