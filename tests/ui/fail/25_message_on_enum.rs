#[bia::message(package = "ui.v1")]
pub enum Role {
    Unspecified,
    Admin,
}

fn main() {}
