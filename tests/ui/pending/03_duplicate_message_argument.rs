// PENDING: this misuse currently COMPILES (the macros accept it).
// Move it to ui/fail/ once the macros reject it.

#[bia::message(package = "ui.v1", package = "ui.v2")]
pub struct User {
    pub id: String,
}

fn main() {}
