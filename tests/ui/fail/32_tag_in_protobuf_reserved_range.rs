#[bia::message(package = "ui.v1")]
pub struct User {
    #[field(tag = 19000)]
    pub id: String,
}

fn main() {}
