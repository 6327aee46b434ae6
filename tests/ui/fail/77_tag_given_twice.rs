#[bia::message(package = "ui.v1")]
pub struct User {
    #[field(tag = 1, tag = 2)]
    pub id: String,
}

fn main() {}
