#[bia::message(package = "ui.v1")]
pub struct User {
    #[field(json_name = "")]
    pub id: String,
}

fn main() {}
