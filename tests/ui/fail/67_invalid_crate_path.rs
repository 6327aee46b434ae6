#[bia::message(package = "ui.v1", crate = "not a path")]
pub struct User {
    pub id: String,
}

fn main() {}
