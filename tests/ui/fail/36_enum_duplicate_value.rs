#[bia::enumeration(package = "ui.v1")]
pub enum Role {
    Unspecified = 0,
    Admin = 1,
    Root = 1,
}

fn main() {}
