#[bia::enumeration(package = "ui.v1")]
pub enum Role {
    Unspecified,
    Custom(String),
}

fn main() {}
