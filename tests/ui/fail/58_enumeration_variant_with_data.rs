#[bia::enumeration(package = "ui.v1")]
pub enum Role {
    Unspecified = 0,
    Custom(String),
}

fn main() {}
