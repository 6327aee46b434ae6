#[bia::enumeration(package = "ui.v1", name = "bad name")]
pub enum Role {
    Unspecified = 0,
    Admin = 1,
}

fn main() {}
