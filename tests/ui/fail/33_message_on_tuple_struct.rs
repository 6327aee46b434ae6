#[bia::message(package = "ui.v1")]
pub struct UserId(pub String);

fn main() {}
