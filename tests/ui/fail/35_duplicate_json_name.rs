#[bia::message(package = "ui.v1")]
pub struct User {
    pub user_id: String,
    #[field(json_name = "userId")]
    pub id: String,
}

fn main() {}
