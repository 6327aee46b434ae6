#[bia::enumeration(package = "ui.v1")]
pub enum Role {
    Admin = 1,
    Guest = 2,
}

fn main() {}
