#[bia::message(package = "ui.v1")]
pub struct User {
    pub tags: Option<Vec<String>>,
}

fn main() {}
