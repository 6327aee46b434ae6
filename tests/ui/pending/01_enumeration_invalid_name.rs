// PENDING: this misuse currently COMPILES (the macros accept it).
// Move it to ui/fail/ once the macros reject it.

#[bia::enumeration(package = "ui.v1", name = "bad name")]
pub enum Role {
    Unspecified = 0,
    Admin = 1,
}

fn main() {}
