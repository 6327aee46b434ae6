#[bia::message(package = "ui.v1", package = "ui.v2")]
pub struct User {
    pub id: String,
}

fn main() {}
